package expr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// Format writes v as it appears inside a longer rendered string: strings
// as they are, integral numbers without a fraction (7, not 7.0), other
// numbers in their shortest form (0.1, 1e-7, 1e+21), booleans as true or
// false, nil as null, and arrays and objects as compact JSON.
func Format(v any) (string, error) {
	switch k := kindOf(v); k {
	case kindNull:
		return "null", nil
	case kindBool:
		return strconv.FormatBool(reflect.ValueOf(v).Bool()), nil
	case kindString:
		return reflect.ValueOf(v).String(), nil
	case kindNumber:
		if rv := reflect.ValueOf(v); rv.CanUint() {
			return strconv.FormatUint(rv.Uint(), 10), nil
		}
		n, ok := toNumber(v)
		if !ok {
			return fmt.Sprint(v), nil // a json.Number that is not a number
		}
		if n.isInt {
			return strconv.FormatInt(n.i, 10), nil
		}
		return formatFloat(n.f), nil
	}
	text, err := compactJSON(v)
	if err != nil {
		return "", fmt.Errorf("format %s: %w", describeKind(v), err)
	}
	if kindOf(v) == kindOther && len(text) > 0 && text[0] == '"' {
		var s string
		if json.Unmarshal([]byte(text), &s) == nil {
			return s, nil // a value that encodes as a JSON string, such as a time
		}
	}
	return text, nil
}

// formatFloat formats f as JSON and JavaScript do: no exponent from 1e-6
// up to 1e21, the shortest representation that reads back the same.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, f, format, -1, 64)
	if format == 'e' {
		// Turn e-07 into e-7 like JSON.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}

// compactJSON encodes v as compact JSON without escaping <, > and &.
func compactJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}
