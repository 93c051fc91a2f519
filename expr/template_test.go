package expr

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want any
	}{
		// No placeholder: the string as it is.
		{name: "plain", in: "hello", want: "hello"},
		{name: "empty", in: "", want: ""},
		// A whole placeholder keeps its JSON type.
		{name: "whole string", in: "{input.host}", want: "srv-1"},
		{name: "whole number", in: "{input.count}", want: 3.0},
		{name: "whole bool", in: "{input.alert.flags.new}", want: true},
		{name: "whole null", in: "{input.nothing}", want: nil},
		{name: "whole array", in: "{input.alert.tags}", want: []any{"malware", "c2"}},
		{name: "whole object", in: "{input.alert.flags}", want: map[string]any{"new": true}},
		{name: "whole with spaces", in: "{ input.count }", want: 3.0},
		{name: "whole with tab", in: "{\tinput.count}", want: 3.0},
		{name: "whole short step form", in: "{enrich-indicators.riskScore}", want: 8.0},
		{name: "whole executionId", in: "{executionId}", want: "exec-1"},
		{name: "whole input field shorthand", in: "{status}", want: "open"},
		// Embedded values are formatted.
		{name: "embedded string", in: "host={input.host}", want: "host=srv-1"},
		{name: "idempotency key", in: "{executionId}-enrich", want: "exec-1-enrich"},
		{name: "embedded integral number", in: "n={input.count}", want: "n=3"},
		{name: "embedded fraction", in: "s={input.alert.score}", want: "s=8.5"},
		{name: "embedded bool", in: "new={input.alert.flags.new}", want: "new=true"},
		{name: "embedded null", in: "x={input.nothing}", want: "x=null"},
		{name: "embedded array", in: "tags={input.alert.tags}", want: `tags=["malware","c2"]`},
		{name: "embedded object", in: "flags={input.alert.flags}", want: `flags={"new":true}`},
		{name: "embedded html not escaped", in: "h={input.html}", want: "h=<b>&</b>"},
		{name: "two placeholders", in: "{input.host}:{input.count}", want: "srv-1:3"},
		{name: "surrounding space is text", in: " {input.count}", want: " 3"},
		{name: "loop-free index forms", in: "{input.items[1].id}/{input.items.0.id}", want: "b/a"},
		// Escapes.
		{name: "escaped braces", in: "{{input.host}}", want: "{input.host}"},
		{name: "escape around placeholder", in: "{{{input.host}}}", want: "{srv-1}"},
		{name: "escaped open only", in: "a {{ b", want: "a { b"},
		{name: "escaped pair", in: "{{}}", want: "{}"},
		// Braces around anything else are text.
		{name: "json object", in: `{"a":1}`, want: `{"a":1}`},
		{name: "nested json", in: `{"q":{"term":{"host":"x"}}}`, want: `{"q":{"term":{"host":"x"}}}`},
		{name: "json with placeholder", in: `{"host":"{input.host}","n":{input.count}}`, want: `{"host":"srv-1","n":3}`},
		{name: "nested json with placeholder", in: `{"q":{"host":"{input.host}"}}`, want: `{"q":{"host":"srv-1"}}`},
		{name: "empty braces", in: "{}", want: "{}"},
		{name: "spaces only", in: "{ }", want: "{ }"},
		{name: "invalid path", in: "{a..b}", want: "{a..b}"},
		{name: "lone open", in: "a{b", want: "a{b"},
		{name: "lone close", in: "a}b", want: "a}b"},
		{name: "close pair without escape", in: "a}}b", want: "a}}b"},
		{name: "code block", in: "func() { return 1; }", want: "func() { return 1; }"},
	}
	s := testScope(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(tt.in, s)
			if err != nil {
				t.Fatalf("Render(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Render(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestRenderLoopVariables(t *testing.T) {
	t.Parallel()
	got, err := Render("item {index}: {item.id} after {previous.ok}", loopScope(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := "item 1: b after true"; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

func TestRenderUnresolved(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "step not completed",
			in:   "{assess-risk.result}",
			want: `unresolved placeholder {assess-risk.result}: step "assess-risk" has no output`,
		},
		{
			name: "missing input field",
			in:   "ping {input.hostname}",
			want: `unresolved placeholder {input.hostname}: input has no field "hostname"`,
		},
		{
			name: "missing output field",
			in:   "{steps.enrich-indicators.score}",
			want: `unresolved placeholder {steps.enrich-indicators.score}: output of step "enrich-indicators" has no field "score"`,
		},
		{
			name: "unknown step",
			in:   "{steps.nope}",
			want: `unresolved placeholder {steps.nope}: there is no step "nope"`,
		},
		{
			name: "trimmed path in message",
			in:   "{ input.x }",
			want: `unresolved placeholder {input.x}: input has no field "x"`,
		},
		{
			name: "first failure reported",
			in:   "{input.host} {input.a} {input.b}",
			want: `unresolved placeholder {input.a}: input has no field "a"`,
		},
	}
	s := testScope(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(tt.in, s)
			if err == nil {
				t.Fatalf("Render(%q) = %#v, want an error", tt.in, got)
			}
			var e *runbook.Error
			if !errors.As(err, &e) || e.Code != runbook.EUNRESOLVED {
				t.Fatalf("Render(%q) error %v (code %q), want code %q", tt.in, err, runbook.ErrorCode(err), runbook.EUNRESOLVED)
			}
			if e.Message != tt.want {
				t.Errorf("Render(%q) message\n %q\nwant\n %q", tt.in, e.Message, tt.want)
			}
		})
	}
}

// plainScope is a DataScope that cannot explain a miss.
type plainScope map[string]any

func (p plainScope) Lookup(path string) (any, bool) {
	v, ok := p[path]
	return v, ok
}

func TestRenderOtherScopes(t *testing.T) {
	t.Parallel()
	got, err := Render("{a}-{b}", plainScope{"a": "x", "b": 2})
	if err != nil || got != "x-2" {
		t.Errorf("Render with a plain scope = %#v, %v; want %q", got, err, "x-2")
	}
	_, err = Render("{c}", plainScope{})
	if runbook.ErrorCode(err) != runbook.EUNRESOLVED || runbook.ErrorMessage(err) != `unresolved placeholder {c}: no value at "c"` {
		t.Errorf("Render of a miss in a plain scope: %v (code %q)", err, runbook.ErrorCode(err))
	}
	_, err = Render("{c}", nil)
	if runbook.ErrorCode(err) != runbook.EUNRESOLVED {
		t.Errorf("Render with a nil scope: %v, want EUNRESOLVED", err)
	}
	if got, err := Render("no placeholder", nil); err != nil || got != "no placeholder" {
		t.Errorf("Render of plain text with a nil scope = %#v, %v", got, err)
	}
}

func TestRenderWholeValueIsACopy(t *testing.T) {
	t.Parallel()
	s := testScope(t)
	got, err := Render("{input.alert}", s)
	if err != nil {
		t.Fatal(err)
	}
	got.(map[string]any)["severity"] = "changed"
	got.(map[string]any)["tags"].([]any)[0] = "changed"
	if v, _ := s.Lookup("input.alert.severity"); v != "high" {
		t.Errorf("changing the rendered value changed the scope: severity = %v", v)
	}
	if v, _ := s.Lookup("input.alert.tags[0]"); v != "malware" {
		t.Errorf("changing the rendered value changed the scope: tags[0] = %v", v)
	}
}

func TestRenderFormatError(t *testing.T) {
	t.Parallel()
	s := &Scope{Input: map[string]any{"bad": []any{math.NaN()}}}
	_, err := Render("x={input.bad}", s)
	if runbook.ErrorCode(err) != runbook.EINVALID {
		t.Errorf("Render of an array holding NaN: %v (code %q), want EINVALID", err, runbook.ErrorCode(err))
	}
}

func TestRenderValue(t *testing.T) {
	t.Parallel()
	s := testScope(t)
	in := map[string]any{
		"url":   "https://api.example.com/hosts/{input.host}",
		"count": "{input.count}",
		"tags":  []any{"{input.alert.tags[0]}", "fixed", 5.0, nil, true},
		"{input.host}": map[string]any{
			"score": "{enrich-indicators.riskScore}",
		},
		"n{input.count}": "{{literal}}",
		"raw":            `{"a":1}`,
		"headers":        map[string]string{"X-Count": "{input.count}", "X-{input.host}": "v"},
		"list":           []string{"{input.count}", "{input.host}"},
		"number":         1.5,
	}
	want := map[string]any{
		"url":   "https://api.example.com/hosts/srv-1",
		"count": 3.0,
		"tags":  []any{"malware", "fixed", 5.0, nil, true},
		"srv-1": map[string]any{
			"score": 8.0,
		},
		"n3":      "{literal}",
		"raw":     `{"a":1}`,
		"headers": map[string]string{"X-Count": "3", "X-srv-1": "v"},
		"list":    []string{"3", "srv-1"},
		"number":  1.5,
	}
	got, err := RenderValue(in, s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RenderValue =\n%#v\nwant\n%#v", got, want)
	}
	// The input is not changed.
	if in["url"] != "https://api.example.com/hosts/{input.host}" || in["tags"].([]any)[0] != "{input.alert.tags[0]}" {
		t.Errorf("RenderValue changed its input: %#v", in)
	}
	if _, ok := in["srv-1"]; ok {
		t.Errorf("RenderValue changed its input's keys: %#v", in)
	}
}

// TestIsStatic checks that a value IsStatic calls static renders to an
// equal value, and that a placeholder anywhere in a value, keys included,
// makes it not static.
func TestIsStatic(t *testing.T) {
	t.Parallel()
	static := map[string]any{
		"url":     "https://api.example.com/hosts",
		"method":  "POST",
		"tags":    []any{"a", 5.0, nil, true, map[string]any{"k": "v"}},
		"headers": map[string]string{"X-Tenant": "t1"},
		"list":    []string{"x", "y"},
		"number":  1.5,
	}
	if !IsStatic(static) {
		t.Fatalf("IsStatic(%#v) = false", static)
	}
	got, err := RenderValue(static, testScope(t))
	if err != nil || !reflect.DeepEqual(got, static) {
		t.Fatalf("a static value rendered to %#v, %v", got, err)
	}
	for _, v := range []any{
		"{input.host}",
		"literal braces {{}}",
		[]any{"x", []any{"{input.host}"}},
		map[string]any{"a": map[string]any{"b": "{input.count}"}},
		map[string]any{"{input.host}": "v"},
		[]string{"x", "{input.host}"},
		map[string]string{"X-Count": "{input.count}"},
		map[string]string{"X-{input.host}": "v"},
	} {
		if IsStatic(v) {
			t.Errorf("IsStatic(%#v) = true", v)
		}
	}
}

func TestRenderValueScalars(t *testing.T) {
	t.Parallel()
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, v := range []any{nil, 1.5, true, 7, when} {
		got, err := RenderValue(v, testScope(t))
		if err != nil || !reflect.DeepEqual(got, v) {
			t.Errorf("RenderValue(%#v) = %#v, %v; want it unchanged", v, got, err)
		}
	}
}

func TestRenderValueErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		code string
	}{
		{name: "nested unresolved", in: map[string]any{"a": []any{"{input.missing}"}}, code: runbook.EUNRESOLVED},
		{name: "unresolved key", in: map[string]any{"{input.missing}": 1.0}, code: runbook.EUNRESOLVED},
		{name: "unresolved header", in: map[string]string{"h": "{input.missing}"}, code: runbook.EUNRESOLVED},
		{name: "keys collide", in: map[string]any{"srv-1": 1.0, "{input.host}": 2.0}, code: runbook.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := RenderValue(tt.in, testScope(t))
			if runbook.ErrorCode(err) != tt.code {
				t.Errorf("RenderValue(%#v) = %#v, %v; want code %q", tt.in, got, err, tt.code)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{in: "plain", want: nil},
		{in: "{input.host}", want: []string{"input.host"}},
		{in: "{ input.host }-{executionId}", want: []string{"input.host", "executionId"}},
		{in: "{a}{b}{a}", want: []string{"a", "b"}},
		{in: "{items[0].id}", want: []string{"items[0].id"}},
		{in: `{"a":1} {{b}} {c d}`, want: nil},
		{in: `{"q":{"host":"{input.host}"}}`, want: []string{"input.host"}},
	}
	for _, tt := range tests {
		if got := Placeholders(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Placeholders(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
