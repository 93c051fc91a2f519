package expr

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	type level string
	tests := []struct {
		name string
		in   any
		want string
	}{
		{name: "string", in: "a b", want: "a b"},
		{name: "named string", in: level("high"), want: "high"},
		{name: "integral float", in: 7.0, want: "7"},
		{name: "negative integral float", in: -7.0, want: "-7"},
		{name: "zero", in: 0.0, want: "0"},
		{name: "negative zero", in: math.Copysign(0, -1), want: "0"},
		{name: "fraction", in: 8.5, want: "8.5"},
		{name: "shortest fraction", in: 0.1, want: "0.1"},
		{name: "int", in: 42, want: "42"},
		{name: "int64", in: int64(-9007199254740993), want: "-9007199254740993"},
		{name: "uint64", in: uint64(math.MaxUint64), want: "18446744073709551615"},
		{name: "big integral float", in: 1e20, want: "100000000000000000000"},
		{name: "exponent from 1e21", in: 1e21, want: "1e+21"},
		{name: "tiny", in: 1e-7, want: "1e-7"},
		{name: "json number", in: json.Number("7.0"), want: "7"},
		{name: "bad json number", in: json.Number("x"), want: "x"},
		{name: "NaN", in: math.NaN(), want: "NaN"},
		{name: "infinity", in: math.Inf(-1), want: "-Infinity"},
		{name: "true", in: true, want: "true"},
		{name: "false", in: false, want: "false"},
		{name: "nil", in: nil, want: "null"},
		{name: "array", in: []any{1.0, "a", nil}, want: `[1,"a",null]`},
		{name: "object", in: map[string]any{"b": 1.0, "a": "<&>"}, want: `{"a":"<&>","b":1}`},
		{name: "typed map", in: map[string]int{"a": 1}, want: `{"a":1}`},
		{name: "time", in: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), want: "2024-01-02T03:04:05Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Format(tt.in)
			if err != nil {
				t.Fatalf("Format(%#v): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Format(%#v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatError(t *testing.T) {
	t.Parallel()
	if got, err := Format(map[string]any{"x": math.Inf(1)}); err == nil {
		t.Errorf("Format of an object holding +Inf = %q, want an error", got)
	}
	if got, err := Format(make(chan int)); err == nil {
		t.Errorf("Format of a channel = %q, want an error", got)
	}
}
