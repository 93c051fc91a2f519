package callservice

import (
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func TestExcerpt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		n    int
		want string
	}{
		{"  short\n", 200, "short"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes: not cut in half
		{"\xff\xfe", 10, "\uFFFD"},
		{"", 10, ""},
	}
	for _, tt := range tests {
		if got := excerpt([]byte(tt.body), tt.n); got != tt.want {
			t.Errorf("excerpt(%q, %d) = %q, want %q", tt.body, tt.n, got, tt.want)
		}
	}
}

func TestIsJSONMediaType(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"application/json":                  true,
		"application/json; charset=utf-8":   true,
		"application/vnd.api+json":          true,
		"text/json":                         true,
		"text/plain":                        false,
		"":                                  false,
		"application/jsonp":                 false,
		"application/x-www-form-urlencoded": false,
	}
	for ct, want := range tests {
		if got := isJSONMediaType(ct); got != want {
			t.Errorf("isJSONMediaType(%q) = %v, want %v", ct, got, want)
		}
	}
}

// FuzzDecodeOutput checks that any body decodes to a value that survives
// being stored as JSON unchanged: the output a step records is the output
// a replay reads back.
func FuzzDecodeOutput(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true]}`, "plain text", "", "  ", "\xff", `"\ud800"`, "1e999", "[1,"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, isJSON := decodeOutput(body)
		if isJSON && !json.Valid(body) {
			t.Errorf("invalid JSON %q decoded as JSON", body)
		}
		if len(strings.TrimSpace(string(body))) == 0 && out != nil {
			t.Errorf("empty body %q gives output %#v, want nil", body, out)
		}
		if s, ok := out.(string); ok && !isJSON && !utf8.ValidString(s) {
			t.Errorf("text output %q is not valid UTF-8", s)
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("output %#v does not encode: %v", out, err)
		}
		var back any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		if !reflect.DeepEqual(back, out) {
			t.Errorf("output %#v reads back as %#v", out, back)
		}
	})
}

// readAll returns the whole body whatever the size the response declared:
// right, unknown, too small or too large.
func TestReadAllReadsTheWholeBody(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 11, 511, 512, 513, 4096, 100_000} {
		body := strings.Repeat("x", n)
		for _, declared := range []int64{int64(n), -1, 0, int64(n) / 2, int64(n) + 100} {
			got, err := readAll(iotest.OneByteReader(strings.NewReader(body)), declared)
			if err != nil || string(got) != body {
				t.Fatalf("body of %d bytes declared as %d: got %d bytes, %v", n, declared, len(got), err)
			}
		}
	}
	if _, err := readAll(iotest.ErrReader(io.ErrUnexpectedEOF), 10); err != io.ErrUnexpectedEOF {
		t.Fatalf("a failing body: err = %v", err)
	}
}
