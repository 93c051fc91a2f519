// Package jsonw appends JSON to byte slices without reflection, byte for
// byte as encoding/json (json.Marshal, with HTML escaping) would. The
// engine encodes an execution row, step rows and events on every
// transition; reflection-based encoding was the largest share of its own
// CPU time and allocations. Types that are rare on that path fall back to
// json.Marshal.
package jsonw

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped as encoding/json does
// (including <, > and &, U+2028 and U+2029; invalid UTF-8 becomes U+FFFD).
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendFloat appends f as encoding/json formats a float64.
func AppendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// AppendTime appends t as time.Time's MarshalJSON does.
func AppendTime(b []byte, t time.Time) ([]byte, error) {
	if t.Location() != time.UTC {
		m, err := t.MarshalJSON()
		if err != nil {
			return b, err
		}
		return append(b, m...), nil
	}
	if y := t.Year(); y < 0 || y >= 10000 {
		return b, errors.New("Time.MarshalJSON: year outside of range [0,9999]")
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// AppendAny appends a JSON-like value (what encoding/json decodes into an
// any, plus integers and strings slices); anything else goes through
// json.Marshal.
func AppendAny(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return AppendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case float64:
		return AppendFloat(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case map[string]any:
		return AppendMap(b, v)
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, item := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = AppendAny(b, item); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []string:
		return AppendStrings(b, v), nil
	}
	m, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, m...), nil
}

// AppendMap appends m with its keys sorted, as encoding/json does.
func AppendMap(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var stack [16]string
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = AppendAny(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// AppendStrings appends a list of strings (null when nil).
func AppendStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}

// Object writes the fields of a JSON object in order. The methods named
// ...OmitEmpty leave the field out when encoding/json's omitempty would.
// The first error sticks and is returned by End.
type Object struct {
	b     []byte
	first bool
	err   error
}

// NewObject starts an object at the end of b.
func NewObject(b []byte) Object {
	return Object{b: append(b, '{'), first: true}
}

// key writes the separator and the key, which must need no escaping.
func (o *Object) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

// String writes a string field.
func (o *Object) String(k, v string) {
	o.key(k)
	o.b = AppendString(o.b, v)
}

// StringOmitEmpty writes a string field unless it is empty.
func (o *Object) StringOmitEmpty(k, v string) {
	if v != "" {
		o.String(k, v)
	}
}

// Int writes an integer field.
func (o *Object) Int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

// IntOmitEmpty writes an integer field unless it is zero.
func (o *Object) IntOmitEmpty(k string, v int64) {
	if v != 0 {
		o.Int(k, v)
	}
}

// BoolOmitEmpty writes true, or nothing.
func (o *Object) BoolOmitEmpty(k string, v bool) {
	if v {
		o.key(k)
		o.b = append(o.b, "true"...)
	}
}

// Float writes a number field.
func (o *Object) Float(k string, v float64) {
	o.key(k)
	o.set(AppendFloat(o.b, v))
}

// Time writes a time field.
func (o *Object) Time(k string, t time.Time) {
	o.key(k)
	o.set(AppendTime(o.b, t))
}

// TimeOmitEmpty writes a time field unless t is nil.
func (o *Object) TimeOmitEmpty(k string, t *time.Time) {
	if t != nil {
		o.Time(k, *t)
	}
}

// Any writes a field of any value.
func (o *Object) Any(k string, v any) {
	o.key(k)
	o.set(AppendAny(o.b, v))
}

// AnyOmitEmpty writes a field of any value unless it is nil.
func (o *Object) AnyOmitEmpty(k string, v any) {
	if v != nil {
		o.Any(k, v)
	}
}

// StringsOmitEmpty writes a list of strings unless it is empty.
func (o *Object) StringsOmitEmpty(k string, list []string) {
	if len(list) > 0 {
		o.key(k)
		o.b = AppendStrings(o.b, list)
	}
}

// Append writes a field whose value the caller appends.
func (o *Object) Append(k string, appendValue func([]byte) ([]byte, error)) {
	o.key(k)
	o.set(appendValue(o.b))
}

// Marshal writes a field through json.Marshal (for rare types).
func (o *Object) Marshal(k string, v any) {
	o.key(k)
	m, err := json.Marshal(v)
	o.set(append(o.b, m...), err)
}

// End closes the object and returns the buffer, or the first error.
func (o *Object) End() ([]byte, error) {
	o.b = append(o.b, '}')
	return o.b, o.err
}

// set takes the result of an append, keeping the first error.
func (o *Object) set(b []byte, err error) {
	o.b = b
	if err != nil && o.err == nil {
		o.err = err
	}
}
