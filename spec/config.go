package spec

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// decodeConfig checks the config map of the step at path against the typed
// config out points to (unknown keys, wrong types) and decodes it into out.
// Fields with problems are left zero.
func (v *validator) decodeConfig(path string, config map[string]any, out any) {
	if len(config) == 0 {
		return
	}
	cpath := field(path, "config")
	tree, err := normalize(config)
	if err != nil {
		v.p.shape(cpath, "cannot be encoded as JSON: %v", err)
		return
	}
	c := shapeChecker{p: v.p}
	clean, ok := c.check(cpath, tree, reflect.TypeOf(out).Elem())
	if !ok {
		return
	}
	data, err := json.Marshal(clean)
	if err == nil {
		err = json.Unmarshal(data, out)
	}
	if err != nil {
		// The cleaned tree matches the type by construction.
		v.p.shape(cpath, "cannot be decoded: %v", err)
	}
}

// normalize turns a config map, which may hold any Go values when the
// runbook was built in Go, into the generic tree the shape checker reads.
func normalize(config map[string]any) (any, error) {
	data, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return tree, nil
}
