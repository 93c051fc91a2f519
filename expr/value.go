package expr

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// kind is the JSON type of a Go value.
type kind int

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
	kindOther
)

// kindOf classifies v as a JSON type. json.Number and every Go numeric
// type are numbers; typed slices, arrays and string-keyed maps are arrays and
// objects.
func kindOf(v any) kind {
	switch v.(type) {
	case nil:
		return kindNull
	case bool:
		return kindBool
	case json.Number, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64:
		return kindNumber
	case string:
		return kindString
	case []any:
		return kindArray
	case map[string]any:
		return kindObject
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return kindBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return kindNumber
	case reflect.String:
		return kindString
	case reflect.Slice, reflect.Array:
		return kindArray
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			return kindObject
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return kindNull
		}
	}
	return kindOther
}

// number is a numeric value kept exact when it is an integer that fits in
// an int64.
type number struct {
	f     float64
	i     int64
	isInt bool
}

// toNumber returns v as a number when v is of a Go numeric type or a
// json.Number. Strings are not numbers here (see numericValue).
func toNumber(v any) (number, bool) {
	switch n := v.(type) {
	case float64:
		return floatNumber(n), true
	case int:
		return intNumber(int64(n)), true
	case int64:
		return intNumber(n), true
	case json.Number:
		return parseNumber(string(n))
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intNumber(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := rv.Uint()
		if u <= math.MaxInt64 {
			return intNumber(int64(u)), true
		}
		return floatNumber(float64(u)), true
	case reflect.Float32, reflect.Float64:
		return floatNumber(rv.Float()), true
	}
	return number{}, false
}

func intNumber(i int64) number { return number{f: float64(i), i: i, isInt: true} }

func floatNumber(f float64) number {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return number{f: f, i: int64(f), isInt: true}
	}
	return number{f: f}
}

// parseNumber parses a decimal number written as in JSON, with an optional
// leading plus sign and surrounding spaces allowed. Hexadecimal, NaN,
// infinities and underscores are not numbers.
func parseNumber(s string) (number, bool) {
	s = strings.TrimSpace(s)
	if !isDecimal(s) {
		return number{}, false
	}
	if i, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
		return intNumber(i), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return number{}, false // out of the float64 range
	}
	return floatNumber(f), true
}

// isDecimal reports whether s is [+-]digits[.digits][(e|E)[+-]digits], with
// digits allowed on one side of the point only.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// numericValue returns v as a number for the ordering operators: numbers,
// and strings that hold a decimal number such as "8.5".
func numericValue(v any) (number, bool) {
	if kindOf(v) == kindString {
		return parseNumber(reflect.ValueOf(v).String())
	}
	return toNumber(v)
}

// compareNumbers returns -1, 0 or 1; ok is false when either is NaN.
func compareNumbers(a, b number) (int, bool) {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1, true
		case a.i > b.i:
			return 1, true
		}
		return 0, true
	}
	switch {
	case a.f < b.f:
		return -1, true
	case a.f > b.f:
		return 1, true
	case a.f == b.f:
		return 0, true
	}
	return 0, false
}

// equal reports whether a and b are the same JSON value: same type and
// same content, deeply. Numbers compare numerically whatever their Go type
// (7, int64(7), 7.0 and json.Number("7") are equal); the string "7" is not
// the number 7.
func equal(a, b any) bool {
	ka, kb := kindOf(a), kindOf(b)
	if ka != kb {
		return false
	}
	switch ka {
	case kindNull:
		return true
	case kindBool:
		return reflect.ValueOf(a).Bool() == reflect.ValueOf(b).Bool()
	case kindNumber:
		na, okA := toNumber(a)
		nb, okB := toNumber(b)
		if !okA || !okB {
			return false // a json.Number that is not a number
		}
		c, ok := compareNumbers(na, nb)
		return ok && c == 0
	case kindString:
		return reflect.ValueOf(a).String() == reflect.ValueOf(b).String()
	case kindArray:
		n := arrayLen(a)
		if n != arrayLen(b) {
			return false
		}
		for i := range n {
			if !equal(arrayIndex(a, i), arrayIndex(b, i)) {
				return false
			}
		}
		return true
	case kindObject:
		ma, mb := objectKeys(a), objectKeys(b)
		if len(ma) != len(mb) {
			return false
		}
		for _, k := range ma {
			vb, ok := objectField(b, k)
			if !ok {
				return false
			}
			va, _ := objectField(a, k)
			if !equal(va, vb) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// arrayLen returns the length of an array value (kindArray).
func arrayLen(v any) int {
	if s, ok := v.([]any); ok {
		return len(s)
	}
	return reflect.ValueOf(v).Len()
}

// arrayIndex returns element i of an array value; i must be in range.
func arrayIndex(v any, i int) any {
	if s, ok := v.([]any); ok {
		return s[i]
	}
	return reflect.ValueOf(v).Index(i).Interface()
}

// objectKeys returns the keys of an object value (kindObject).
func objectKeys(v any) []string {
	if m, ok := v.(map[string]any); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		return keys
	}
	rv := reflect.ValueOf(v)
	keys := make([]string, 0, rv.Len())
	for _, k := range rv.MapKeys() {
		keys = append(keys, k.String())
	}
	return keys
}

// objectField returns the field key of an object value.
func objectField(v any, key string) (any, bool) {
	if m, ok := v.(map[string]any); ok {
		f, ok := m[key]
		return f, ok
	}
	rv := reflect.ValueOf(v)
	f := rv.MapIndex(reflect.ValueOf(key).Convert(rv.Type().Key()))
	if !f.IsValid() {
		return nil, false
	}
	return f.Interface(), true
}

// arrayContains reports whether the array value arr holds an element equal
// to v.
func arrayContains(arr, v any) bool {
	for i := range arrayLen(arr) {
		if equal(arrayIndex(arr, i), v) {
			return true
		}
	}
	return false
}
