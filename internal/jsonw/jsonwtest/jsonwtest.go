// Package jsonwtest fills values at random for tests that compare a
// hand-written JSON encoder with encoding/json.
package jsonwtest

import (
	"math"
	"math/rand/v2"
	"reflect"
	"time"
)

// Strings are the strings Fill picks from: plain, empty, and every
// character class encoding/json escapes.
var Strings = []string{
	"", "a", "step-1", "<script>&amp;</script>", "quote \" backslash \\ slash /",
	"tab\tnewline\ncr\rbs\bff\f", "\x00\x01\x1f\x7f", "é ü 漢字 🙂", "\u2028\u2029",
	"bad utf8 \xff\xfe end", "\xc3", "emoji \U0001F600 ok",
}

// Floats are the numbers Fill picks from, around encoding/json's
// switches between fixed and exponent notation.
var Floats = []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1e-6, 9.99e-7, 1e-7, 1.5e-10, 1e20, 1e21, 1.2345e21,
	123456789, 3.141592653589793, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e100}

// Fill sets every exported field of the struct v points to, recursively,
// to random values; with probability 1/3 a field is left zero, so that
// omitempty paths are taken too. Interface fields get JSON-like values.
func Fill(r *rand.Rand, v any) {
	fill(r, reflect.ValueOf(v).Elem(), 0)
}

var timeType = reflect.TypeFor[time.Time]()

func fill(r *rand.Rand, v reflect.Value, depth int) {
	if r.IntN(3) == 0 && depth > 0 {
		return // leave zero
	}
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(RandomTime(r)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(Strings[r.IntN(len(Strings))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(r.IntN(2000) - 1000))
	case reflect.Float64:
		v.SetFloat(Floats[r.IntN(len(Floats))])
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(r, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		n := r.IntN(3)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(r, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range r.IntN(4) {
			k := reflect.New(v.Type().Key()).Elem()
			k.SetString(Strings[r.IntN(len(Strings))])
			e := reflect.New(v.Type().Elem()).Elem()
			fill(r, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Interface:
		if val := Value(r, depth); val != nil {
			v.Set(reflect.ValueOf(val))
		}
	}
}

// RandomTime returns a UTC time with a random sub-second part (sometimes
// none, sometimes whole microseconds).
func RandomTime(r *rand.Rand) time.Time {
	t := time.Date(2000+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC)
	switch r.IntN(3) {
	case 0:
		return t
	case 1:
		return t.Add(time.Duration(r.IntN(1_000_000)) * time.Microsecond)
	}
	return t.Add(time.Duration(r.IntN(1_000_000_000)))
}

// Value returns a random JSON-like value: what encoding/json decodes into
// an any, nested up to a few levels.
func Value(r *rand.Rand, depth int) any {
	n := 7
	if depth > 3 {
		n = 5 // no more nesting
	}
	switch r.IntN(n) {
	case 0:
		return nil
	case 1:
		return Strings[r.IntN(len(Strings))]
	case 2:
		return Floats[r.IntN(len(Floats))]
	case 3:
		return r.IntN(2) == 0
	case 4:
		return float64(r.IntN(1000))
	case 5:
		m := map[string]any{}
		for range r.IntN(5) {
			m[Strings[r.IntN(len(Strings))]] = Value(r, depth+1)
		}
		return m
	}
	list := make([]any, r.IntN(4))
	for i := range list {
		list[i] = Value(r, depth+1)
	}
	return list
}
