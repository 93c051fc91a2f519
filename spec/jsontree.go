package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/runbookhq/runbook"
)

// decodeJSON decodes one JSON value into a generic tree of map[string]any,
// []any, json.Number, string, bool and nil. Unlike encoding/json it bounds
// nesting at maxDepth, rejects duplicate keys (encoding/json keeps the last
// one silently) and rejects anything after the value.
func decodeJSON(data []byte) (any, *runbook.Error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	b := jsonBuilder{dec: dec, data: data}
	v, err := b.value(1)
	if err != nil {
		return nil, err
	}
	offset := dec.InputOffset()
	if _, terr := dec.Token(); terr != io.EOF {
		line, col := position(data, offset+int64(len(leadingSpace(data[offset:]))))
		return nil, documentError("invalid JSON at line %d, column %d: unexpected data after the runbook object", line, col)
	}
	return v, nil
}

// jsonBuilder builds a tree from the tokens of dec.
type jsonBuilder struct {
	dec  *json.Decoder
	data []byte
}

// value reads the next value; depth is the nesting level it sits at.
func (b *jsonBuilder) value(depth int) (any, *runbook.Error) {
	offset := b.next()
	tok, err := b.dec.Token()
	if err != nil {
		return nil, b.syntaxError(err)
	}
	delim, isDelim := tok.(json.Delim)
	if !isDelim {
		return tok, nil
	}
	if depth > maxDepth {
		return nil, b.errorAt(offset, "nested deeper than %d levels", maxDepth)
	}
	switch delim {
	case '{':
		obj := make(map[string]any)
		for b.dec.More() {
			keyOffset := b.next()
			tok, err := b.dec.Token()
			if err != nil {
				return nil, b.syntaxError(err)
			}
			key, isString := tok.(string)
			if !isString {
				return nil, b.errorAt(keyOffset, "object key must be a string")
			}
			if _, dup := obj[key]; dup {
				return nil, b.errorAt(keyOffset, "field %q appears twice in the same object", key)
			}
			v, verr := b.value(depth + 1)
			if verr != nil {
				return nil, verr
			}
			obj[key] = v
		}
		if _, err := b.dec.Token(); err != nil {
			return nil, b.syntaxError(err)
		}
		return obj, nil
	case '[':
		arr := make([]any, 0)
		for b.dec.More() {
			v, verr := b.value(depth + 1)
			if verr != nil {
				return nil, verr
			}
			arr = append(arr, v)
		}
		if _, err := b.dec.Token(); err != nil {
			return nil, b.syntaxError(err)
		}
		return arr, nil
	}
	return nil, b.errorAt(offset, "unexpected %q", delim)
}

// next returns the offset of the next token: the decoder's offset after
// the separators (whitespace, ',' and ':') it skips on its own.
func (b *jsonBuilder) next() int64 {
	offset := b.dec.InputOffset()
	for offset < int64(len(b.data)) && bytes.IndexByte([]byte(" \t\r\n,:"), b.data[offset]) >= 0 {
		offset++
	}
	return offset
}

// syntaxError reports a decoder error with its line and column.
func (b *jsonBuilder) syntaxError(err error) *runbook.Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return b.errorAt(se.Offset, "%s", se.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return b.errorAt(int64(len(b.data)), "unexpected end of input")
	}
	return b.errorAt(b.dec.InputOffset(), "%s", err.Error())
}

// errorAt is a document error at a byte offset of the input.
func (b *jsonBuilder) errorAt(offset int64, format string, args ...any) *runbook.Error {
	line, col := position(b.data, offset)
	return documentError("invalid JSON at line %d, column %d: %s", line, col, fmt.Sprintf(format, args...))
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// leadingSpace returns the JSON whitespace at the start of data.
func leadingSpace(data []byte) []byte {
	n := len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
	return data[:n]
}
