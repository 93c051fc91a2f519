package expr

import (
	"encoding/json"
	"math"
	"testing"
)

func TestEqual(t *testing.T) {
	t.Parallel()
	type myString string
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{name: "nil", a: nil, b: nil, want: true},
		{name: "nil and false", a: nil, b: false, want: false},
		{name: "nil and typed nil pointer", a: nil, b: (*int)(nil), want: true},
		{name: "bools", a: true, b: true, want: true},
		{name: "different bools", a: true, b: false, want: false},
		{name: "float and int", a: 7.0, b: 7, want: true},
		{name: "int64 and uint8", a: int64(7), b: uint8(7), want: true},
		{name: "json number", a: json.Number("7"), b: 7.0, want: true},
		{name: "json number with fraction", a: json.Number("7.50"), b: 7.5, want: true},
		{name: "invalid json number", a: json.Number("x"), b: 0, want: false},
		{name: "float32", a: float32(0.5), b: 0.5, want: true},
		{name: "different numbers", a: 7, b: 7.5, want: false},
		{name: "large ints stay exact", a: int64(1<<62 + 1), b: int64(1 << 62), want: false},
		{name: "huge uint", a: uint64(math.MaxUint64), b: float64(math.MaxUint64), want: true},
		{name: "NaN", a: math.NaN(), b: math.NaN(), want: false},
		{name: "string is not a number", a: "7", b: 7, want: false},
		{name: "number is not a string", a: 7, b: "7", want: false},
		{name: "strings", a: "a", b: "a", want: true},
		{name: "named string type", a: myString("a"), b: "a", want: true},
		{name: "arrays", a: []any{1.0, "x"}, b: []any{1, "x"}, want: true},
		{name: "typed array", a: []string{"x"}, b: []any{"x"}, want: true},
		{name: "arrays of other lengths", a: []any{1.0}, b: []any{1.0, 2.0}, want: false},
		{name: "arrays in other order", a: []any{1.0, 2.0}, b: []any{2.0, 1.0}, want: false},
		{name: "objects", a: map[string]any{"a": []any{1.0}}, b: map[string]any{"a": []any{1}}, want: true},
		{name: "typed object", a: map[string]string{"a": "x"}, b: map[string]any{"a": "x"}, want: true},
		{name: "objects with other keys", a: map[string]any{"a": 1.0}, b: map[string]any{"b": 1.0}, want: false},
		{name: "object with more keys", a: map[string]any{"a": 1.0}, b: map[string]any{"a": 1.0, "b": 2.0}, want: false},
		{name: "object and array", a: map[string]any{}, b: []any{}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := equal(tt.a, tt.b); got != tt.want {
				t.Errorf("equal(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := equal(tt.b, tt.a); got != tt.want {
				t.Errorf("equal(%#v, %#v) = %v, want %v (not symmetric)", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestNumericValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want float64
		ok   bool
	}{
		{in: 8.5, want: 8.5, ok: true},
		{in: 8, want: 8, ok: true},
		{in: uint16(8), want: 8, ok: true},
		{in: json.Number("-2e3"), want: -2000, ok: true},
		{in: "8.5", want: 8.5, ok: true},
		{in: " 8.5 ", want: 8.5, ok: true},
		{in: "-7", want: -7, ok: true},
		{in: "+7", want: 7, ok: true},
		{in: ".5", want: 0.5, ok: true},
		{in: "5.", want: 5, ok: true},
		{in: "1e3", want: 1000, ok: true},
		{in: "", ok: false},
		{in: "high", ok: false},
		{in: "0x10", ok: false},
		{in: "NaN", ok: false},
		{in: "Inf", ok: false},
		{in: "1_000", ok: false},
		{in: "1e", ok: false},
		{in: "1e999", ok: false},
		{in: ".", ok: false},
		{in: true, ok: false},
		{in: nil, ok: false},
		{in: []any{1.0}, ok: false},
	}
	for _, tt := range tests {
		got, ok := numericValue(tt.in)
		if ok != tt.ok || (ok && got.f != tt.want) {
			t.Errorf("numericValue(%#v) = %v, %v; want %v, %v", tt.in, got.f, ok, tt.want, tt.ok)
		}
	}
}
