package expr

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/runbookhq/runbook"
)

func TestExpression(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want any
	}{
		{src: "input.host", want: "srv-1"},
		{src: "input.count == 3", want: true},
		{src: "input.alert.score > 8", want: true},
		{src: "input.count + 1.0", want: 4.0},
		{src: "1 + 2", want: 3.0},
		{src: "2u", want: 2.0},
		{src: "input.alert.tags", want: []any{"malware", "c2"}},
		{src: "input.alert.tags.exists(t, t == 'c2')", want: true},
		{src: "input.items.map(i, i.id)", want: []any{"a", "b"}},
		{src: "input.items.filter(i, i.n > 1).size()", want: 1.0},
		{src: "input.alert.flags", want: map[string]any{"new": true}},
		{src: "{'a': [1, null], 'b': {'c': true}}", want: map[string]any{"a": []any{1.0, nil}, "b": map[string]any{"c": true}}},
		{src: "input.nothing", want: nil},
		{src: "has(input.alert.severity)", want: true},
		{src: "has(input.alert.level)", want: false},
		{src: "context.tenantId == 'acme'", want: true},
		{src: "executionId", want: "exec-1"},
		{src: "steps['enrich-indicators'].riskScore >= 8", want: true},
		{src: "'enrich-indicators' in steps", want: true},
		{src: "'assess-risk' in steps", want: false},
		{src: "input.host.startsWith('srv') && input.host.matches('^srv-[0-9]+$')", want: true},
		{src: "b'hi'", want: "aGk="},
		{src: "duration('1.5s')", want: "1.5s"},
		{src: "timestamp('2024-01-02T03:04:05Z')", want: "2024-01-02T03:04:05Z"},
		{src: "string(input.count)", want: "3"},
	}
	e := newTestEvaluator(t)
	s := testScope(t)
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			got, err := e.Expression(tt.src, s)
			if err != nil {
				t.Fatalf("Expression(%q): %v", tt.src, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Expression(%q) = %#v, want %#v", tt.src, got, tt.want)
			}
		})
	}
}

func TestExpressionLoopVariables(t *testing.T) {
	t.Parallel()
	e := newTestEvaluator(t)
	got, err := e.Expression("item.id == 'b' && index == 1 && previous.ok", loopScope(t))
	if err != nil || got != true {
		t.Errorf("loop variables = %#v, %v; want true", got, err)
	}
}

func TestExpressionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		code string
		msg  string
	}{
		{name: "empty", src: " ", code: runbook.EINVALID, msg: "expression is empty"},
		{name: "syntax", src: "input.count >", code: runbook.EINVALID, msg: "Syntax error"},
		{name: "undeclared variable", src: "alert.score > 1", code: runbook.EINVALID, msg: "undeclared reference to 'alert'"},
		{name: "type error", src: "'a' + 1", code: runbook.EINVALID, msg: "no matching overload"},
		{name: "missing key", src: "input.missing == 1", code: runbook.EUNRESOLVED, msg: "no such key: missing"},
		{name: "step not completed", src: "steps['assess-risk'].result", code: runbook.EUNRESOLVED, msg: "no such key: assess-risk"},
		{name: "absent variable", src: "item.id", code: runbook.EUNRESOLVED, msg: "no such attribute"},
		{name: "runtime overload", src: "input.count + 1", code: runbook.EINVALID, msg: "no such overload"},
		{name: "division by zero", src: "1 / 0", code: runbook.EINVALID, msg: "division by zero"},
		{name: "map with int keys", src: "{1: 'a'}", code: runbook.EINVALID, msg: "not a string"},
	}
	e := newTestEvaluator(t)
	s := &Scope{ExecutionID: "x", Input: testScope(t).Input, Steps: testScope(t).Steps}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := e.Expression(tt.src, s)
			if runbook.ErrorCode(err) != tt.code {
				t.Fatalf("Expression(%q) = %#v, %v; want code %q", tt.src, got, err, tt.code)
			}
			if msg := runbook.ErrorMessage(err); !strings.Contains(msg, tt.msg) || !strings.Contains(msg, tt.src) && tt.name != "empty" {
				t.Errorf("Expression(%q) message %q, want it to name the expression and contain %q", tt.src, msg, tt.msg)
			}
		})
	}
}

func TestExpressionCostLimit(t *testing.T) {
	t.Parallel()
	e := newTestEvaluator(t)
	list := "[" + strings.Repeat("0,", 99) + "0]"
	src := fmt.Sprintf("%[1]s.all(a, %[1]s.all(b, %[1]s.all(c, %[1]s.all(d, a + b + c + d == 0))))", list)
	_, err := e.Expression(src, testScope(t))
	if runbook.ErrorCode(err) != runbook.EINVALID || !strings.Contains(runbook.ErrorMessage(err), "cost limit") {
		t.Errorf("100^4 comprehension: %v (code %q), want EINVALID cost limit exceeded", err, runbook.ErrorCode(err))
	}
}

func TestConditionExpression(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want bool
	}{
		{src: "steps['enrich-indicators'].riskScore > input.threshold", want: true},
		{src: "input.alert.severity == 'low'", want: false},
		{src: "size(input.items) == 2", want: true},
	}
	e := newTestEvaluator(t)
	s := testScope(t)
	for _, tt := range tests {
		res, err := e.Condition(&runbook.Condition{Expression: tt.src}, s)
		if err != nil {
			t.Fatalf("Condition(%q): %v", tt.src, err)
		}
		want := &ConditionResult{Result: tt.want, Expression: tt.src}
		if !reflect.DeepEqual(res, want) {
			t.Errorf("Condition(%q) = %+v, want %+v", tt.src, res, want)
		}
	}
}

func TestConditionExpressionWinsOverField(t *testing.T) {
	t.Parallel()
	e := newTestEvaluator(t)
	c := &runbook.Condition{Field: "input.status", Operator: runbook.OpEq, Value: "open", Expression: "false"}
	res, err := e.Condition(c, testScope(t))
	if err != nil || res.Result {
		t.Errorf("Condition = %+v, %v; want the expression's false", res, err)
	}
}

func TestConditionExpressionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		code string
		msg  string
	}{
		{src: "input.count", code: runbook.EINVALID, msg: `expression "input.count" gives a value of type double, not a bool`},
		{src: "'yes'", code: runbook.EINVALID, msg: "of type string, not a bool"},
		{src: "input.count >", code: runbook.EINVALID, msg: "invalid expression"},
		{src: "input.missing", code: runbook.EUNRESOLVED, msg: "no such key: missing"},
	}
	e := newTestEvaluator(t)
	s := testScope(t)
	for _, tt := range tests {
		_, err := e.Condition(&runbook.Condition{Expression: tt.src}, s)
		if runbook.ErrorCode(err) != tt.code || !strings.Contains(runbook.ErrorMessage(err), tt.msg) {
			t.Errorf("Condition(%q): %v (code %q), want code %q and %q", tt.src, err, runbook.ErrorCode(err), tt.code, tt.msg)
		}
	}
}

func TestCheckExpression(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src string
		ok  bool
	}{
		{src: "input.score > 7", ok: true},
		{src: "steps['enrich'].score > 7 && item.id != ''", ok: true},
		{src: "", ok: false},
		{src: "input.score >", ok: false},
		{src: "unknown > 1", ok: false},
	}
	for _, tt := range tests {
		if err := CheckExpression(tt.src); (err == nil) != tt.ok {
			t.Errorf("CheckExpression(%q) = %v, want ok %v", tt.src, err, tt.ok)
		}
	}
}

func TestEvaluatorCacheIsBounded(t *testing.T) {
	t.Parallel()
	e := newTestEvaluator(t)
	for i := range maxCachedPrograms + 10 {
		src := fmt.Sprintf("%d == %d", i, i)
		got, err := e.Expression(src, nil)
		if err != nil || got != true {
			t.Fatalf("Expression(%q) = %#v, %v", src, got, err)
		}
	}
	e.mu.Lock()
	n := len(e.programs)
	e.mu.Unlock()
	if n > maxCachedPrograms {
		t.Errorf("cache holds %d programs, want at most %d", n, maxCachedPrograms)
	}
}

func TestEvaluatorConcurrentUse(t *testing.T) {
	t.Parallel()
	e := newTestEvaluator(t)
	s := testScope(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 8 {
				src := fmt.Sprintf("input.count + %d.0 == %d.0", i, 3+i)
				if g%2 == 0 {
					src = "input.count == 3"
				}
				res, err := e.Condition(&runbook.Condition{Expression: src}, s)
				if err != nil {
					errs <- err
					return
				}
				if !res.Result {
					errs <- fmt.Errorf("%s is false", src)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
