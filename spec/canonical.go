package spec

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/runbookhq/runbook"
)

// Canonical returns the canonical JSON encoding of rb, used to store and
// hash definitions: encoding/json of the struct (fields in declaration
// order, map keys sorted), without HTML escaping, without a trailing
// newline, and with the free-form schemas re-encoded so that their key
// order and spacing do not change the bytes.
func Canonical(rb *runbook.Runbook) ([]byte, error) {
	if rb == nil {
		return nil, fmt.Errorf("canonical runbook: runbook is nil")
	}
	c := *rb
	var err error
	if c.InputSchema, err = canonicalRaw(c.InputSchema); err != nil {
		return nil, fmt.Errorf("canonical runbook: inputSchema: %w", err)
	}
	c.Steps = make([]*runbook.Step, len(rb.Steps))
	for i, s := range rb.Steps {
		if s == nil {
			continue
		}
		cs := *s
		if cs.InputSchema, err = canonicalRaw(cs.InputSchema); err != nil {
			return nil, fmt.Errorf("canonical runbook: step %q inputSchema: %w", s.ID, err)
		}
		if cs.OutputSchema, err = canonicalRaw(cs.OutputSchema); err != nil {
			return nil, fmt.Errorf("canonical runbook: step %q outputSchema: %w", s.ID, err)
		}
		c.Steps[i] = &cs
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("canonical runbook: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// canonicalRaw re-encodes a raw JSON value with sorted keys and no
// spacing, keeping numbers as written.
func canonicalRaw(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}
