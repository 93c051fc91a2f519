package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/spec"
)

// readBody reads the whole request body, within the body limit. An empty
// or blank body is returned as nil.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, tooLarge(tooBig.Limit)
		}
		return nil, &runbook.Error{Code: runbook.EINVALID, Message: "the request body could not be read", Err: err}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	return body, nil
}

// decodeJSON decodes the request's JSON object body into dst, strictly:
// an unknown field, a value of the wrong type, malformed JSON or anything
// after the object is a 400, a body that is not application/json a 415.
// An empty body leaves dst alone; it is an error only when required.
func (s *Server) decodeJSON(r *http.Request, dst any, required bool) error {
	body, err := s.readBody(r)
	if err != nil {
		return err
	}
	if body == nil {
		if required {
			return runbook.Errorf(runbook.EINVALID, "the request needs a JSON body")
		}
		return nil
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	return decodeStrict(body, dst)
}

// requireJSON refuses a body whose Content-Type is not JSON.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if f, ok := spec.FormatOf("", ct); ok && f == spec.FormatJSON {
		return nil
	}
	if ct == "" {
		return runbook.Errorf(runbook.EUNSUPPORTED, "the request body has no Content-Type; send application/json")
	}
	return runbook.Errorf(runbook.EUNSUPPORTED, "Content-Type %q is not supported here; send application/json", ct)
}

// decodeStrict decodes one JSON value into dst, refusing unknown fields and
// trailing data, and turns decoding errors into 400s that name the field.
func decodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return runbook.Errorf(runbook.EINVALID, "malformed JSON: unexpected data after the JSON object at offset %d", dec.InputOffset())
	}
	return nil
}

// jsonError describes a decoding error for the client.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return runbook.Errorf(runbook.EINVALID, "malformed JSON at offset %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return runbook.Errorf(runbook.EINVALID, "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return runbook.Errorf(runbook.EINVALID, "the request body must be a JSON object, not %s", typ.Value)
		}
		msg := fmt.Sprintf("must be %s, not %s", jsonTypeName(typ.Type.Kind().String()), typ.Value)
		return &runbook.Error{Code: runbook.EINVALID, Message: typ.Field + ": " + msg,
			Details: []runbook.FieldError{{Field: typ.Field, Message: msg}}}
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field = strings.Trim(field, `"`)
		return &runbook.Error{Code: runbook.EINVALID, Message: fmt.Sprintf("unknown field %q", field),
			Details: []runbook.FieldError{{Field: field, Message: "unknown field"}}}
	}
	return runbook.Errorf(runbook.EINVALID, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonTypeName names a Go kind in JSON terms.
func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	}
	return "a " + kind
}
