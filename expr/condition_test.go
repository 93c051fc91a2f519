package expr

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

// newTestEvaluator returns an Evaluator or stops the test.
func newTestEvaluator(t testing.TB) *Evaluator {
	t.Helper()
	e, err := NewEvaluator()
	if err != nil {
		t.Fatalf("NewEvaluator: %v", err)
	}
	return e
}

func TestConditionOperators(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		field string
		op    runbook.Operator
		value any
		want  bool
	}{
		// eq / ne: strict JSON equality.
		{name: "eq string", field: "input.status", op: runbook.OpEq, value: "open", want: true},
		{name: "eq other string", field: "input.status", op: runbook.OpEq, value: "closed", want: false},
		{name: "eq number", field: "input.count", op: runbook.OpEq, value: 3.0, want: true},
		{name: "eq number across Go types", field: "input.count", op: runbook.OpEq, value: 3, want: true},
		{name: "eq json number", field: "input.count", op: runbook.OpEq, value: json.Number("3"), want: true},
		{name: "eq string is not number", field: "input.count", op: runbook.OpEq, value: "3", want: false},
		{name: "eq number is not string", field: "input.scoreText", op: runbook.OpEq, value: 8.5, want: false},
		{name: "eq bool", field: "input.alert.flags.new", op: runbook.OpEq, value: true, want: true},
		{name: "eq bool is not string", field: "input.alert.flags.new", op: runbook.OpEq, value: "true", want: false},
		{name: "eq null", field: "input.nothing", op: runbook.OpEq, value: nil, want: true},
		{name: "eq array", field: "input.alert.tags", op: runbook.OpEq, value: []any{"malware", "c2"}, want: true},
		{name: "eq array other order", field: "input.alert.tags", op: runbook.OpEq, value: []any{"c2", "malware"}, want: false},
		{name: "eq object", field: "input.alert.flags", op: runbook.OpEq, value: map[string]any{"new": true}, want: true},
		{name: "eq absent", field: "input.missing", op: runbook.OpEq, value: nil, want: false},
		{name: "ne string", field: "input.status", op: runbook.OpNe, value: "closed", want: true},
		{name: "ne same", field: "input.status", op: runbook.OpNe, value: "open", want: false},
		{name: "ne string and number", field: "input.count", op: runbook.OpNe, value: "3", want: true},
		{name: "ne absent", field: "input.missing", op: runbook.OpNe, value: "x", want: true},
		// gt / lt / gte / lte: numeric.
		{name: "gt", field: "enrich-indicators.riskScore", op: runbook.OpGt, value: 7.0, want: true},
		{name: "gt int value", field: "enrich-indicators.riskScore", op: runbook.OpGt, value: 7, want: true},
		{name: "gt equal", field: "enrich-indicators.riskScore", op: runbook.OpGt, value: 8, want: false},
		{name: "gte equal", field: "enrich-indicators.riskScore", op: runbook.OpGte, value: 8, want: true},
		{name: "lt", field: "input.count", op: runbook.OpLt, value: 3.5, want: true},
		{name: "lt equal", field: "input.count", op: runbook.OpLt, value: 3, want: false},
		{name: "lte equal", field: "input.count", op: runbook.OpLte, value: 3, want: true},
		{name: "lte below", field: "input.alert.score", op: runbook.OpLte, value: 8, want: false},
		{name: "gt numeric string field", field: "input.scoreText", op: runbook.OpGt, value: 8, want: true},
		{name: "gt numeric string value", field: "input.count", op: runbook.OpGt, value: "2.5", want: true},
		{name: "gt negative", field: "input.count", op: runbook.OpGt, value: -1, want: true},
		{name: "gt absent", field: "input.missing", op: runbook.OpGt, value: 1, want: false},
		{name: "lt absent", field: "input.missing", op: runbook.OpLt, value: 1, want: false},
		{name: "gt null", field: "input.nothing", op: runbook.OpGt, value: 1, want: false},
		{name: "gt step not completed", field: "assess-risk.score", op: runbook.OpGt, value: 1, want: false},
		// in: the value is an array holding the field's value.
		{name: "in", field: "input.status", op: runbook.OpIn, value: []any{"open", "pending"}, want: true},
		{name: "in missing", field: "input.status", op: runbook.OpIn, value: []any{"closed"}, want: false},
		{name: "in number", field: "input.count", op: runbook.OpIn, value: []any{1.0, 3.0}, want: true},
		{name: "in strict", field: "input.count", op: runbook.OpIn, value: []any{"3"}, want: false},
		{name: "in typed array", field: "input.status", op: runbook.OpIn, value: []string{"open"}, want: true},
		{name: "in empty", field: "input.status", op: runbook.OpIn, value: []any{}, want: false},
		{name: "in absent", field: "input.missing", op: runbook.OpIn, value: []any{nil}, want: false},
		// contains: a string holding a string, or an array holding a value.
		{name: "contains string", field: "enrich-indicators.verdict", op: runbook.OpContains, value: "malic", want: true},
		{name: "contains string not", field: "enrich-indicators.verdict", op: runbook.OpContains, value: "benign", want: false},
		{name: "contains empty string", field: "input.host", op: runbook.OpContains, value: "", want: true},
		{name: "contains array", field: "input.alert.tags", op: runbook.OpContains, value: "c2", want: true},
		{name: "contains array not", field: "input.alert.tags", op: runbook.OpContains, value: "c", want: false},
		{name: "contains array of objects", field: "input.items", op: runbook.OpContains, value: map[string]any{"id": "a", "n": 1}, want: true},
		{name: "contains absent", field: "input.missing", op: runbook.OpContains, value: "x", want: false},
		{name: "contains null", field: "input.nothing", op: runbook.OpContains, value: "x", want: false},
		// exists: present and not null.
		{name: "exists", field: "input.host", op: runbook.OpExists, want: true},
		{name: "exists false value", field: "input.alert.flags.new", op: runbook.OpExists, want: true},
		{name: "exists null", field: "input.nothing", op: runbook.OpExists, want: false},
		{name: "exists absent", field: "input.missing", op: runbook.OpExists, want: false},
		{name: "exists step output", field: "steps.enrich-indicators", op: runbook.OpExists, want: true},
		{name: "exists step not completed", field: "assess-risk", op: runbook.OpExists, want: false},
		// Nested dot paths and the old engine's bare input fields.
		{name: "nested path", field: "input.alert.severity", op: runbook.OpEq, value: "high", want: true},
		{name: "bare input field", field: "alert.severity", op: runbook.OpEq, value: "high", want: true},
		{name: "array index path", field: "input.items[1].n", op: runbook.OpGte, value: 2, want: true},
		// The value may be a placeholder.
		{name: "placeholder value", field: "enrich-indicators.riskScore", op: runbook.OpGt, value: "{input.threshold}", want: true},
		{name: "placeholder value eq", field: "input.word", op: runbook.OpEq, value: "{input.alert.severity}", want: true},
		{name: "placeholder in array value", field: "input.word", op: runbook.OpIn, value: []any{"{input.alert.severity}"}, want: true},
	}
	e := newTestEvaluator(t)
	s := testScope(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &runbook.Condition{Field: tt.field, Operator: tt.op, Value: tt.value}
			res, err := e.Condition(c, s)
			if err != nil {
				t.Fatalf("Condition(%s %s %#v): %v", tt.field, tt.op, tt.value, err)
			}
			if res.Result != tt.want {
				t.Errorf("Condition(%s %s %#v) = %v, want %v (left %#v)", tt.field, tt.op, tt.value, res.Result, tt.want, res.Left)
			}
		})
	}
}

func TestConditionLoopVariables(t *testing.T) {
	t.Parallel()
	e := newTestEvaluator(t)
	res, err := e.Condition(&runbook.Condition{Field: "item.n", Operator: runbook.OpGt, Value: 1}, loopScope(t))
	if err != nil || !res.Result {
		t.Errorf("item.n gt 1 in a loop = %+v, %v; want true", res, err)
	}
}

func TestConditionResultDetails(t *testing.T) {
	t.Parallel()
	e := newTestEvaluator(t)
	s := testScope(t)
	res, err := e.Condition(&runbook.Condition{Field: "enrich-indicators.riskScore", Operator: runbook.OpGt, Value: "{input.threshold}"}, s)
	if err != nil {
		t.Fatal(err)
	}
	want := &ConditionResult{
		Result:   true,
		Field:    "enrich-indicators.riskScore",
		Operator: runbook.OpGt,
		Left:     8.0,
		Right:    7.0,
		Found:    true,
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("Condition = %+v, want %+v", res, want)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != `{"result":true,"field":"enrich-indicators.riskScore","operator":"gt","left":8,"right":7,"found":true}` {
		t.Errorf("JSON = %s", got)
	}

	res, err = e.Condition(&runbook.Condition{Field: "input.missing", Operator: runbook.OpNe, Value: "x"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Found || res.Left != nil || !res.Result {
		t.Errorf("absent field: %+v, want found false, left nil, result true", res)
	}
	res, err = e.Condition(&runbook.Condition{Field: "input.nothing", Operator: runbook.OpExists}, s)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || res.Result {
		t.Errorf("null field: %+v, want found true, result false", res)
	}
}

func TestConditionLeftIsACopy(t *testing.T) {
	t.Parallel()
	e := newTestEvaluator(t)
	s := testScope(t)
	res, err := e.Condition(&runbook.Condition{Field: "input.alert.tags", Operator: runbook.OpExists}, s)
	if err != nil {
		t.Fatal(err)
	}
	res.Left.([]any)[0] = "changed"
	if v, _ := s.Lookup("input.alert.tags[0]"); v != "malware" {
		t.Errorf("changing the result changed the scope: %v", v)
	}
}

func TestConditionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    *runbook.Condition
		code string
		msg  string // part of the message
	}{
		{name: "nil", c: nil, code: runbook.EINVALID, msg: "condition is missing"},
		{name: "empty", c: &runbook.Condition{}, code: runbook.EINVALID, msg: "neither a field nor an expression"},
		{name: "bad field", c: &runbook.Condition{Field: "a..b", Operator: runbook.OpEq}, code: runbook.EINVALID, msg: "empty segment"},
		{name: "no operator", c: &runbook.Condition{Field: "input.host"}, code: runbook.EINVALID, msg: "has no operator"},
		{name: "unknown operator", c: &runbook.Condition{Field: "input.host", Operator: "like", Value: "x"}, code: runbook.EINVALID, msg: `unknown operator "like" (want one of eq, ne, gt, lt, gte, lte, in, contains, exists)`},
		{name: "gt on a word", c: &runbook.Condition{Field: "input.word", Operator: runbook.OpGt, Value: 7}, code: runbook.EINVALID, msg: `condition on input.word: operator gt needs a number, the field is "high"`},
		{name: "gt on a bool", c: &runbook.Condition{Field: "input.alert.flags.new", Operator: runbook.OpLt, Value: 7}, code: runbook.EINVALID, msg: "the field is true"},
		{name: "gt on an array", c: &runbook.Condition{Field: "input.alert.tags", Operator: runbook.OpGte, Value: 7}, code: runbook.EINVALID, msg: `the field is ["malware","c2"]`},
		{name: "gt with a word", c: &runbook.Condition{Field: "input.count", Operator: runbook.OpGt, Value: "seven"}, code: runbook.EINVALID, msg: `the value is "seven"`},
		{name: "gt with nothing", c: &runbook.Condition{Field: "input.count", Operator: runbook.OpGt}, code: runbook.EINVALID, msg: "the value is null"},
		{name: "gt with a word on an absent field", c: &runbook.Condition{Field: "input.missing", Operator: runbook.OpGt, Value: "seven"}, code: runbook.EINVALID, msg: `the value is "seven"`},
		{name: "in without an array", c: &runbook.Condition{Field: "input.status", Operator: runbook.OpIn, Value: "open"}, code: runbook.EINVALID, msg: `operator in needs an array value, the value is "open"`},
		{name: "contains on a string with a number", c: &runbook.Condition{Field: "input.host", Operator: runbook.OpContains, Value: 1}, code: runbook.EINVALID, msg: "needs a string value"},
		{name: "contains on a number", c: &runbook.Condition{Field: "input.count", Operator: runbook.OpContains, Value: "3"}, code: runbook.EINVALID, msg: "the field is 3"},
		{name: "contains on an object", c: &runbook.Condition{Field: "input.alert.flags", Operator: runbook.OpContains, Value: "new"}, code: runbook.EINVALID, msg: `the field is {"new":true}`},
		{name: "unresolved value", c: &runbook.Condition{Field: "input.count", Operator: runbook.OpGt, Value: "{input.limit}"}, code: runbook.EUNRESOLVED, msg: `unresolved placeholder {input.limit}: input has no field "limit"`},
	}
	e := newTestEvaluator(t)
	s := testScope(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := e.Condition(tt.c, s)
			if runbook.ErrorCode(err) != tt.code {
				t.Fatalf("Condition(%+v) = %+v, %v; want code %q", tt.c, res, err, tt.code)
			}
			if msg := runbook.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Errorf("Condition(%+v) message %q, want it to contain %q", tt.c, msg, tt.msg)
			}
		})
	}
}

func TestConditionLongValueShortenedInError(t *testing.T) {
	t.Parallel()
	e := newTestEvaluator(t)
	s := &Scope{Input: map[string]any{"text": strings.Repeat("é", 500)}}
	_, err := e.Condition(&runbook.Condition{Field: "text", Operator: runbook.OpGt, Value: 1}, s)
	msg := runbook.ErrorMessage(err)
	if msg == "" || len(msg) > 250 || !strings.HasSuffix(msg, "...") {
		t.Errorf("message %q: want a short message ending in ...", msg)
	}
}

func TestConditionNilScope(t *testing.T) {
	t.Parallel()
	e := newTestEvaluator(t)
	res, err := e.Condition(&runbook.Condition{Field: "input.x", Operator: runbook.OpNe, Value: 1}, nil)
	if err != nil || !res.Result || res.Found {
		t.Errorf("ne with a nil scope = %+v, %v; want true, not found", res, err)
	}
}
