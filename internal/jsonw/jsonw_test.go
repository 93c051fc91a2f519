package jsonw_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/runbookhq/runbook/internal/jsonw"
	"github.com/runbookhq/runbook/internal/jsonw/jsonwtest"
)

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonwtest.Strings {
		if got, want := jsonw.AppendString(nil, s), marshal(t, s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range jsonwtest.Strings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := jsonw.AppendString([]byte("x"), s), append([]byte("x"), marshal(t, s)...); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func FuzzAppendFloat(f *testing.F) {
	for _, x := range jsonwtest.Floats {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		got, err := jsonw.AppendFloat(nil, x)
		want, werr := json.Marshal(x)
		if (err != nil) != (werr != nil) {
			t.Fatalf("AppendFloat(%v): error %v, encoding/json %v", x, err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("AppendFloat(%v) = %s, want %s", x, got, want)
		}
	})
}

func TestAppendFloatRefusesWhatJSONCannotHold(t *testing.T) {
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := jsonw.AppendFloat(nil, x); err == nil {
			t.Errorf("AppendFloat(%v) gave no error", x)
		}
	}
}

func TestAppendTimeMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		tm := jsonwtest.RandomTime(r)
		got, err := jsonw.AppendTime(nil, tm)
		if err != nil {
			t.Fatal(err)
		}
		if want := marshal(t, tm); !bytes.Equal(got, want) {
			t.Fatalf("AppendTime(%v) = %s, want %s", tm, got, want)
		}
	}
	local := time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	if got, _ := jsonw.AppendTime(nil, local); !bytes.Equal(got, marshal(t, local)) {
		t.Fatalf("AppendTime of a zoned time = %s", got)
	}
	if _, err := jsonw.AppendTime(nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("a year past 9999 was encoded")
	}
}

func TestAppendAnyMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		v := jsonwtest.Value(r, 0)
		got, err := jsonw.AppendAny(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if want := marshal(t, v); !bytes.Equal(got, want) {
			t.Fatalf("AppendAny(%#v) = %s, want %s", v, got, want)
		}
	}
	for _, v := range []any{map[string]any(nil), []any(nil), []string(nil), []string{"a", "<"}, 42, int64(-7),
		map[string]string{"b": "x", "a": "y"}, struct{ A int }{1}} {
		got, err := jsonw.AppendAny(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if want := marshal(t, v); !bytes.Equal(got, want) {
			t.Errorf("AppendAny(%#v) = %s, want %s", v, got, want)
		}
	}
	if _, err := jsonw.AppendAny(nil, map[string]any{"x": math.NaN()}); err == nil {
		t.Error("NaN inside a map was encoded")
	}
}
