package expr

import (
	"encoding/json"
	"strings"
	"testing"
)

// decodeJSON decodes a JSON literal of a test into a JSON-like value.
func decodeJSON(t testing.TB, text string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("decode %s: %v", text, err)
	}
	return v
}

// testScope returns the scope most tests resolve against: a threat
// investigation in which enrich-indicators completed and assess-risk did
// not run yet.
func testScope(t testing.TB) *Scope {
	t.Helper()
	return &Scope{
		ExecutionID: "exec-1",
		Input: decodeJSON(t, `{
			"host": "srv-1",
			"status": "open",
			"count": 3,
			"threshold": 7,
			"scoreText": "8.5",
			"word": "high",
			"nothing": null,
			"html": "<b>&</b>",
			"alert": {"severity": "high", "score": 8.5, "tags": ["malware", "c2"], "flags": {"new": true}},
			"items": [{"id": "a", "n": 1}, {"id": "b", "n": 2}],
			"matrix": [[1, 2], [3, 4]]
		}`),
		Context: decodeJSON(t, `{"tenantId": "acme", "legalBasis": {"authority": "court", "authorizedUsers": ["ana"]}}`),
		Steps: map[string]any{
			"enrich-indicators": decodeJSON(t, `{"riskScore": 8, "verdict": "malicious", "ips": ["10.0.0.1", "10.0.0.2"]}`),
			"notify":            nil,
		},
		StepIDs: map[string]bool{"enrich-indicators": true, "notify": true, "assess-risk": true},
	}
}

// loopScope is testScope inside the second iteration of a loop.
func loopScope(t testing.TB) *Scope {
	s := testScope(t)
	s.Locals = map[string]any{
		"item":     decodeJSON(t, `{"id": "b", "n": 2}`),
		"index":    1.0,
		"previous": decodeJSON(t, `{"ok": true}`),
	}
	return s
}

func TestScopeLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path  string
		want  any
		found bool
	}{
		{path: "input.host", want: "srv-1", found: true},
		{path: "input.alert.severity", want: "high", found: true},
		{path: "input.alert.flags.new", want: true, found: true},
		{path: "input.items[1].id", want: "b", found: true},
		{path: "input.items.1.id", want: "b", found: true},
		{path: "input.matrix[1][0]", want: 3.0, found: true},
		{path: "input.matrix.1.0", want: 3.0, found: true},
		{path: "input.nothing", want: nil, found: true},
		{path: "input.missing", found: false},
		{path: "input.items[2].id", found: false},
		{path: "input.items.x", found: false},
		{path: "input.host.length", found: false},
		{path: "input.nothing.x", found: false},
		{path: "context.tenantId", want: "acme", found: true},
		{path: "context.legalBasis.authorizedUsers[0]", want: "ana", found: true},
		{path: "executionId", want: "exec-1", found: true},
		{path: "executionId.x", found: false},
		{path: "steps.enrich-indicators.riskScore", want: 8.0, found: true},
		{path: "enrich-indicators.riskScore", want: 8.0, found: true},
		{path: "enrich-indicators.ips[1]", want: "10.0.0.2", found: true},
		{path: "notify", want: nil, found: true},
		{path: "steps.notify", want: nil, found: true},
		{path: "assess-risk", found: false},
		{path: "assess-risk.result", found: false},
		{path: "steps.assess-risk.result", found: false},
		{path: "steps.unknown", found: false},
		// Anything else is a field of the input, as in the old engine.
		{path: "status", want: "open", found: true},
		{path: "alert.tags[0]", want: "malware", found: true},
		{path: "unknown", found: false},
		// Not paths at all.
		{path: "", found: false},
		{path: "input..host", found: false},
		{path: "input.items[x]", found: false},
	}
	s := testScope(t)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			got, found := s.Lookup(tt.path)
			if found != tt.found {
				t.Fatalf("Lookup(%q) found = %v, want %v (value %#v)", tt.path, found, tt.found, got)
			}
			if found && !equal(got, tt.want) {
				t.Errorf("Lookup(%q) = %#v, want %#v", tt.path, got, tt.want)
			}
		})
	}
}

func TestScopeLookupLocals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path  string
		want  any
		found bool
	}{
		{path: "item.id", want: "b", found: true},
		{path: "item", want: map[string]any{"id": "b", "n": 2.0}, found: true},
		{path: "index", want: 1, found: true},
		{path: "previous.ok", want: true, found: true},
		{path: "item.missing", found: false},
		{path: "input.host", want: "srv-1", found: true},
	}
	s := loopScope(t)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			got, found := s.Lookup(tt.path)
			if found != tt.found || (found && !equal(got, tt.want)) {
				t.Errorf("Lookup(%q) = %#v, %v; want %#v, %v", tt.path, got, found, tt.want, tt.found)
			}
		})
	}
}

func TestScopeLookupPrecedence(t *testing.T) {
	t.Parallel()
	s := &Scope{
		Input:   map[string]any{"item": "from input", "check": "from input", "input": "nested"},
		Steps:   map[string]any{"check": map[string]any{"ok": true}},
		StepIDs: map[string]bool{"check": true},
	}
	// Outside a loop, "item" is a field of the input.
	if got, _ := s.Lookup("item"); got != "from input" {
		t.Errorf("item outside a loop = %#v, want the input's field", got)
	}
	s.Locals = map[string]any{"item": "from loop"}
	if got, _ := s.Lookup("item"); got != "from loop" {
		t.Errorf("item inside a loop = %#v, want the loop variable", got)
	}
	// A step id wins over a field of the input of the same name.
	if got, _ := s.Lookup("check.ok"); got != true {
		t.Errorf("check.ok = %#v, want the step's output", got)
	}
	// "input" is the input, not a field of it.
	if got, _ := s.Lookup("input.input"); got != "nested" {
		t.Errorf("input.input = %#v, want %q", got, "nested")
	}
}

func TestScopeLookupStepsWhole(t *testing.T) {
	t.Parallel()
	got, found := testScope(t).Lookup("steps")
	m, ok := got.(map[string]any)
	if !found || !ok {
		t.Fatalf("Lookup(steps) = %#v, %v; want the map of outputs", got, found)
	}
	if _, ok := m["enrich-indicators"]; !ok {
		t.Errorf("steps lacks the completed step: %#v", m)
	}
	if _, ok := m["assess-risk"]; ok {
		t.Errorf("steps holds a step that did not complete: %#v", m)
	}
	empty, found := (&Scope{}).Lookup("steps")
	if !found || kindOf(empty) != kindObject {
		t.Errorf("Lookup(steps) with no step done = %#v, %v; want an empty object", empty, found)
	}
}

func TestScopeNil(t *testing.T) {
	t.Parallel()
	var s *Scope
	if v, found := s.Lookup("input.host"); found {
		t.Errorf("nil scope found %#v", v)
	}
	if (&Scope{}).Explain("input.host") == "" {
		t.Error("empty scope explains nothing for input.host")
	}
}

func TestScopeExplain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want string
	}{
		{path: "enrich-indicators.riskScore", want: ""},
		{path: "assess-risk.result", want: `step "assess-risk" has no output`},
		{path: "steps.assess-risk", want: `step "assess-risk" has no output`},
		{path: "steps.nope.x", want: `there is no step "nope"`},
		{path: "input.hostname", want: `input has no field "hostname"`},
		{path: "hostname", want: `input has no field "hostname", and no step has id "hostname"`},
		{path: "input.alert.level", want: `input.alert has no field "level"`},
		{path: "input.items[5].id", want: `input.items has no index 5 (length 2)`},
		{path: "input.items.first", want: `input.items is an array, "first" is not an index`},
		{path: "input.host.name", want: `input.host is a string, it has no field "name"`},
		{path: "input.nothing.x", want: `input.nothing is null, it has no field "x"`},
		{path: "enrich-indicators.score", want: `output of step "enrich-indicators" has no field "score"`},
		{path: "steps.enrich-indicators.ips.9", want: `steps.enrich-indicators.ips has no index 9 (length 2)`},
		{path: "executionId.x", want: `executionId is a string, it has no field "x"`},
		{path: "input..x", want: `path "input..x": empty segment at offset 6`},
	}
	s := testScope(t)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			if got := s.Explain(tt.path); got != tt.want {
				t.Errorf("Explain(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestScopeExplainNoStepHintWithoutSteps(t *testing.T) {
	t.Parallel()
	s := &Scope{Input: map[string]any{}}
	if got := s.Explain("host"); strings.Contains(got, "step") {
		t.Errorf("Explain(host) = %q, mentions steps though the scope knows none", got)
	}
}
