package expr

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"input.alert.severity", "items[0].id", "items.0.id", "a..b", "a[", "a]", "[0]", "a[x]",
		"enrich-indicators.riskScore", "a[0][1].b", "é.ü", "a[99999999999999999999]", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		segs, err := ParsePath(path)
		if err != nil {
			if segs != nil {
				t.Fatalf("ParsePath(%q) returned segments %q with error %v", path, segs, err)
			}
			return
		}
		if len(segs) == 0 {
			t.Fatalf("ParsePath(%q) returned no segments and no error", path)
		}
		for _, s := range segs {
			if s == "" || strings.ContainsAny(s, ".[]") {
				t.Fatalf("ParsePath(%q) returned bad segment %q in %q", path, s, segs)
			}
		}
		// The dotted form of a path is a path with the same segments.
		again, err := ParsePath(strings.Join(segs, "."))
		if err != nil || !slices.Equal(again, segs) {
			t.Fatalf("ParsePath(%q) = %q, but its dotted form gives %q, %v", path, segs, again, err)
		}
	})
}

// fuzzScope decodes data (JSON) into a scope: its "input", "context",
// "steps" and "locals" members, when present, fill the scope's fields.
func fuzzScope(data []byte) *Scope {
	s := &Scope{ExecutionID: "exec-1", StepIDs: map[string]bool{"pending-step": true}}
	var v any
	if json.Unmarshal(data, &v) != nil {
		return s
	}
	m, ok := v.(map[string]any)
	if !ok {
		s.Input = v
		return s
	}
	s.Input = m["input"]
	s.Context = m["context"]
	if steps, ok := m["steps"].(map[string]any); ok {
		s.Steps = steps
		for id := range steps {
			s.StepIDs[id] = true
		}
	}
	if locals, ok := m["locals"].(map[string]any); ok {
		s.Locals = locals
	}
	return s
}

// checkCoded fails the test if err is not a *runbook.Error with a code.
func checkCoded(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && runbook.ErrorCode(err) == runbook.EINTERNAL {
		t.Fatalf("%s: error without a code: %v", what, err)
	}
}

const fuzzData = `{"input": {"host": "srv-1", "n": 3, "tags": ["a", "b"], "s": "8.5", "o": {"k": null}},
	"context": {"tenantId": "t"}, "steps": {"enrich": {"score": 8}}, "locals": {"item": {"id": 1}, "index": 0}}`

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"{input.host}", "host={input.host} n={ input.n }", "{{input.host}}", `{"a":{"b":"{input.host}"}}`,
		"{enrich.score}", "{pending-step.x}", "{item.id}-{index}", "{input.tags[1]}", "{{{input.o}}}", "}}{{", "{",
	} {
		f.Add(s, []byte(fuzzData))
	}
	f.Fuzz(func(t *testing.T, tmpl string, data []byte) {
		s := fuzzScope(data)
		got, err := Render(tmpl, s)
		checkCoded(t, "Render", err)
		paths := Placeholders(tmpl)
		if IsStatic(tmpl) != !strings.ContainsAny(tmpl, "{}") {
			t.Fatalf("IsStatic(%q) = %v", tmpl, IsStatic(tmpl))
		}
		if IsStatic(tmpl) {
			if err != nil || got != tmpl {
				t.Fatalf("Render(%q) = %#v, %v; want the text unchanged", tmpl, got, err)
			}
		}
		if len(paths) == 0 && err != nil {
			t.Fatalf("Render(%q) failed with no placeholder: %v", tmpl, err)
		}
		allFound := true
		for _, p := range paths {
			if _, ok := s.Lookup(p); !ok {
				allFound = false
			}
		}
		if allFound && runbook.ErrorCode(err) == runbook.EUNRESOLVED {
			t.Fatalf("Render(%q): %v, though every placeholder resolves", tmpl, err)
		}
		if !allFound && runbook.ErrorCode(err) != runbook.EUNRESOLVED {
			t.Fatalf("Render(%q) = %#v, %v; want EUNRESOLVED", tmpl, got, err)
		}
		_, err = RenderValue(map[string]any{tmpl: []any{tmpl}}, s)
		checkCoded(t, "RenderValue", err)
	})
}

func FuzzCondition(f *testing.F) {
	e, err := NewEvaluator()
	if err != nil {
		f.Fatal(err)
	}
	for _, op := range runbook.Operators() {
		f.Add("input.n", string(op), `7`, "", []byte(fuzzData))
	}
	f.Add("input.tags", "contains", `"a"`, "", []byte(fuzzData))
	f.Add("input.host", "in", `["srv-1"]`, "", []byte(fuzzData))
	f.Add("enrich.score", "gt", `"{input.n}"`, "", []byte(fuzzData))
	f.Add("input.s", "gte", `8`, "", []byte(fuzzData))
	f.Add("", "", ``, "steps.enrich.score > input.n", []byte(fuzzData))
	f.Add("", "", ``, "item.id == 1 && index == 0", []byte(fuzzData))
	f.Add("", "", ``, "input.tags.map(t, t + t)", []byte(fuzzData))
	f.Fuzz(func(t *testing.T, field, op, value, expression string, data []byte) {
		if len(expression) > 1000 {
			return // CEL's own parser limits are not under test
		}
		var v any
		if json.Unmarshal([]byte(value), &v) != nil {
			v = value
		}
		c := &runbook.Condition{Field: field, Operator: runbook.Operator(op), Value: v, Expression: expression}
		s := fuzzScope(data)
		res, err := e.Condition(c, s)
		checkCoded(t, "Condition", err)
		if err == nil && res == nil {
			t.Fatal("Condition returned neither a result nor an error")
		}
		if err == nil && expression == "" {
			if _, found := s.Lookup(field); found != res.Found {
				t.Fatalf("Condition found = %v, Lookup found = %v", res.Found, found)
			}
		}
		if expression != "" {
			_, err := e.Expression(expression, s)
			checkCoded(t, "Expression", err)
		}
	})
}
