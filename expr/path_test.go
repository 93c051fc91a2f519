package expr

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want []string
	}{
		{path: "input", want: []string{"input"}},
		{path: "input.alert.severity", want: []string{"input", "alert", "severity"}},
		{path: "steps.enrich.score", want: []string{"steps", "enrich", "score"}},
		{path: "items[0].id", want: []string{"items", "0", "id"}},
		{path: "items.0.id", want: []string{"items", "0", "id"}},
		{path: "matrix[1][2]", want: []string{"matrix", "1", "2"}},
		{path: "matrix[1].2", want: []string{"matrix", "1", "2"}},
		{path: "items[007]", want: []string{"items", "7"}},
		{path: "enrich-indicators.risk_score", want: []string{"enrich-indicators", "risk_score"}},
		{path: "a.b-c.d_e.f9.10", want: []string{"a", "b-c", "d_e", "f9", "10"}},
		{path: "0", want: []string{"0"}},
		{path: "données.clé", want: []string{"données", "clé"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePath(tt.path)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tt.path, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParsePath(%q) = %q, want %q", tt.path, got, tt.want)
			}
			if err := CheckPath(tt.path); err != nil {
				t.Errorf("CheckPath(%q): %v", tt.path, err)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want string // part of the error message
	}{
		{path: "", want: "path is empty"},
		{path: "a..b", want: "empty segment"},
		{path: ".a", want: "starts with '.'"},
		{path: "a.", want: "ends with '.'"},
		{path: "a[0", want: "unbalanced '['"},
		{path: "a]", want: "unbalanced ']'"},
		{path: "a[0]]", want: "unbalanced ']'"},
		{path: "a[x]", want: "index [x] is not a non-negative integer"},
		{path: "a[-1]", want: "index [-1] is not a non-negative integer"},
		{path: "a[]", want: "index [] is not a non-negative integer"},
		{path: "a[ 0 ]", want: "index [ 0 ] is not a non-negative integer"},
		{path: "a[99999999999999999999999]", want: "too large"},
		{path: "[0].a", want: "must start with a field name"},
		{path: "a.[0]", want: "'.' followed by '['"},
		{path: "a[0]b", want: `unexpected 'b'`},
		{path: "a b", want: `unexpected ' '`},
		{path: " a", want: `unexpected ' '`},
		{path: `"a":1`, want: `unexpected '"'`},
		{path: "a{b}", want: `unexpected '{'`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			segs, err := ParsePath(tt.path)
			if err == nil {
				t.Fatalf("ParsePath(%q) = %q, want an error", tt.path, segs)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParsePath(%q) error %q, want it to contain %q", tt.path, err, tt.want)
			}
			if CheckPath(tt.path) == nil {
				t.Errorf("CheckPath(%q) accepted an invalid path", tt.path)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	doc := decodeJSON(t, `{"a": {"b": [10, {"c": "deep"}]}, "s": "text", "n": null}`)
	tests := []struct {
		name  string
		v     any
		segs  []string
		want  any
		found bool
	}{
		{name: "no segments", v: "x", segs: nil, want: "x", found: true},
		{name: "nested", v: doc, segs: []string{"a", "b", "1", "c"}, want: "deep", found: true},
		{name: "index", v: doc, segs: []string{"a", "b", "0"}, want: 10, found: true},
		{name: "index out of range", v: doc, segs: []string{"a", "b", "2"}},
		{name: "index not canonical", v: doc, segs: []string{"a", "b", "01"}},
		{name: "negative index", v: doc, segs: []string{"a", "b", "-1"}},
		{name: "huge index", v: doc, segs: []string{"a", "b", "99999999999999999999"}},
		{name: "key on string", v: doc, segs: []string{"s", "x"}},
		{name: "key on null", v: doc, segs: []string{"n", "x"}},
		{name: "key on nil", v: nil, segs: []string{"x"}},
		{name: "missing key", v: doc, segs: []string{"z"}},
		{name: "typed map", v: map[string]string{"k": "v"}, segs: []string{"k"}, want: "v", found: true},
		{name: "typed slice", v: []string{"x", "y"}, segs: []string{"1"}, want: "y", found: true},
		{name: "typed map of slices", v: map[string][]int{"k": {4, 5}}, segs: []string{"k", "1"}, want: 5, found: true},
		{name: "map with other keys", v: map[int]string{1: "x"}, segs: []string{"1"}},
		{name: "json number", v: map[string]any{"n": json.Number("12")}, segs: []string{"n"}, want: 12, found: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, found := Resolve(tt.v, tt.segs)
			if found != tt.found || (found && !equal(got, tt.want)) {
				t.Errorf("Resolve(%v) = %#v, %v; want %#v, %v", tt.segs, got, found, tt.want, tt.found)
			}
		})
	}
}
