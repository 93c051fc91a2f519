package executor

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// DecodeConfig decodes a step's config (JSON-like values, as found in a
// definition or rendered by the engine) into v, a pointer to one of the typed
// config structs of the root package, by a JSON round trip. Unknown keys are
// ignored: definitions are validated when they are stored, and the previous
// engine's configs carry keys no executor reads.
func DecodeConfig(m map[string]any, v any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("decode config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode config: %w", err)
	}
	return nil
}
