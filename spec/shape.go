package spec

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/runbookhq/runbook"
)

// shapeChecker compares a generic JSON tree (maps, slices, json.Number,
// strings, bools, nil) with the Go type it is about to be decoded into. It
// reports every unknown field and every value of the wrong JSON type with
// its path, and returns a cleaned tree that decodes without error: unknown
// fields and nulls removed, bad values dropped (in arrays: replaced by
// null, so that indexes in later messages stay right), whole numbers
// normalized so that 3.0 and 1e3 decode into integer fields.
//
// The known fields of an object are exactly the JSON names of the struct
// it decodes into, so the format cannot drift from the root package's
// types. Fields typed any, map[string]any or json.RawMessage are free-form.
type shapeChecker struct {
	p *problems
	// stepLabels name the top-level steps in paths; see stepLabels.
	stepLabels []string
}

// check checks v against t at path. ok is false when v must be dropped.
func (c *shapeChecker) check(path string, v any, t reflect.Type) (clean any, ok bool) {
	if v == nil {
		return nil, true
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return v, true
	}
	if t == reflect.TypeFor[time.Time]() {
		return c.checkTime(path, v)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return c.check(path, v, t.Elem())
	case reflect.Interface:
		return c.checkFree(path, v), true
	case reflect.Struct:
		return c.checkStruct(path, v, t)
	case reflect.Map:
		return c.checkMap(path, v, t)
	case reflect.Slice:
		return c.checkSlice(path, v, t)
	case reflect.String:
		switch x := v.(type) {
		case string:
			return v, true
		case json.Number, bool:
			c.p.shape(path, "must be a string, not %s; write \"%v\" in quotes", describe(v), x)
		default:
			c.p.shape(path, "must be a string, not %s", describe(v))
		}
		return nil, false
	case reflect.Bool:
		if _, isBool := v.(bool); !isBool {
			c.p.shape(path, "must be true or false, not %s", describe(v))
			return nil, false
		}
		return v, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return c.checkInt(path, v, t)
	case reflect.Float32, reflect.Float64:
		n, isNumber := asNumber(v)
		if !isNumber {
			c.p.shape(path, "must be a number, not %s", describe(v))
			return nil, false
		}
		if f, err := n.Float64(); err != nil || math.IsInf(f, 0) {
			c.p.shape(path, "%s is out of range", n)
			return nil, false
		}
		return n, true
	}
	// A type this checker does not know: let the typed decode judge it.
	return v, true
}

// checkStruct checks an object field by field, in the struct's order,
// then reports the fields the struct does not have.
func (c *shapeChecker) checkStruct(path string, v any, t reflect.Type) (any, bool) {
	obj, isObject := v.(map[string]any)
	if !isObject {
		c.p.shape(path, "must be an object, not %s", describe(v))
		return nil, false
	}
	fields := jsonFields(t)
	clean := make(map[string]any, len(obj))
	known := make([]string, 0, len(fields))
	for _, f := range fields {
		known = append(known, f.name)
		val, present := obj[f.name]
		if !present || val == nil {
			continue
		}
		if cv, ok := c.check(field(path, f.name), val, f.typ); ok && cv != nil && !emptyList(cv, f.typ) {
			clean[f.name] = cv
		}
	}
	for _, key := range sortedKeys(obj) {
		if !containsString(known, key) {
			c.p.add(field(path, key), "%s", unknownFieldMessage(key, known))
		}
	}
	return clean, true
}

// emptyList reports whether v is an empty array or object decoding into a
// slice or map field. Such a field is left out, like null: encoding/json
// would decode it as empty rather than nil, and the canonical form, which
// omits it, would not decode back into the same value.
func emptyList(v any, t reflect.Type) bool {
	switch x := v.(type) {
	case []any:
		return len(x) == 0 && t.Kind() == reflect.Slice && t != reflect.TypeFor[json.RawMessage]()
	case map[string]any:
		return len(x) == 0 && t.Kind() == reflect.Map
	}
	return false
}

// checkMap checks an object whose values all have one type, such as
// headers (map[string]string).
func (c *shapeChecker) checkMap(path string, v any, t reflect.Type) (any, bool) {
	obj, isObject := v.(map[string]any)
	if !isObject {
		c.p.shape(path, "must be an object, not %s", describe(v))
		return nil, false
	}
	if t.Elem().Kind() == reflect.Interface {
		return c.checkFree(path, obj), true
	}
	clean := make(map[string]any, len(obj))
	for _, key := range sortedKeys(obj) {
		if cv, ok := c.check(field(path, key), obj[key], t.Elem()); ok && cv != nil {
			clean[key] = cv
		}
	}
	return clean, true
}

// checkSlice checks an array element by element. Top-level steps are named
// by their labels, other elements by index.
func (c *shapeChecker) checkSlice(path string, v any, t reflect.Type) (any, bool) {
	arr, isArray := v.([]any)
	if !isArray {
		c.p.shape(path, "must be an array, not %s", describe(v))
		return nil, false
	}
	clean := make([]any, len(arr))
	for i, elem := range arr {
		p := item(path, i)
		if t == reflect.TypeFor[[]*runbook.Step]() && path == "steps" && i < len(c.stepLabels) {
			p = stepPath(c.stepLabels[i])
		}
		if cv, ok := c.check(p, elem, t.Elem()); ok {
			clean[i] = cv
		}
	}
	return clean, true
}

// checkFree checks a free-form value, where anything goes but numbers too
// large for a float64, which no Go program reading the runbook could hold:
// they are reported and replaced by null.
func (c *shapeChecker) checkFree(path string, v any) any {
	switch x := v.(type) {
	case json.Number:
		if _, err := x.Float64(); err != nil {
			c.p.shape(path, "%s is out of range", x)
			return nil
		}
	case map[string]any:
		for _, key := range sortedKeys(x) {
			x[key] = c.checkFree(field(path, key), x[key])
		}
	case []any:
		for i, elem := range x {
			x[i] = c.checkFree(item(path, i), elem)
		}
	}
	return v
}

// checkInt checks a whole number that fits t and normalizes its text.
func (c *shapeChecker) checkInt(path string, v any, t reflect.Type) (any, bool) {
	n, isNumber := asNumber(v)
	if !isNumber {
		c.p.shape(path, "must be a number, not %s", describe(v))
		return nil, false
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if bits := t.Bits(); bits < 64 {
		lo, hi = -1<<(bits-1), 1<<(bits-1)-1
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		if i < lo || i > hi {
			c.p.shape(path, "%s is out of range", n)
			return nil, false
		}
		return n, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		c.p.shape(path, "must be a number, not %q", string(n))
		return nil, false
	case err == nil && f != math.Trunc(f):
		c.p.shape(path, "must be a whole number, not %s", n)
		return nil, false
	// float64(hi)+1 is exact below 64 bits and rounds to 2^63 at 64 bits:
	// either way the first value out of range.
	case err != nil || f < float64(lo) || f >= float64(hi)+1:
		c.p.shape(path, "%s is out of range", n)
		return nil, false
	}
	return json.Number(strconv.FormatInt(int64(f), 10)), true
}

// checkTime checks a timestamp in the format encoding/json accepts for
// time.Time (RFC 3339).
func (c *shapeChecker) checkTime(path string, v any) (any, bool) {
	s, isString := v.(string)
	var tm time.Time
	if !isString || tm.UnmarshalText([]byte(s)) != nil {
		c.p.shape(path, "must be a time in RFC 3339 format such as \"2024-05-01T12:00:00Z\"")
		return nil, false
	}
	return s, true
}

// asNumber returns v as a json.Number when it is a number.
func asNumber(v any) (json.Number, bool) {
	switch n := v.(type) {
	case json.Number:
		return n, true
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return "", false
		}
		return json.Number(strconv.FormatFloat(n, 'g', -1, 64)), true
	}
	return "", false
}

// describe names the JSON type of v for messages: "a string", "an array".
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a " + reflect.TypeOf(v).String()
}

// jsonField is one field of a struct as JSON sees it.
type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the JSON names and types of the exported fields of t, in
// declaration order. The runbook types have neither embedded structs nor
// "-" tags, but both are handled for safety.
func jsonFields(t reflect.Type) []jsonField {
	fields := make([]jsonField, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields = append(fields, jsonField{name: name, typ: f.Type})
	}
	return fields
}

// sortedKeys returns the keys of m in order, for deterministic messages.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// containsString reports whether list holds s.
func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
