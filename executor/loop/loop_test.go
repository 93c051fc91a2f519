package loop_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor/loop"
)

var now = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// scope is a DataScope over a map from full path to value.
type scope map[string]any

func (s scope) Lookup(path string) (any, bool) {
	v, ok := s[path]
	return v, ok
}

// explainingScope also says why a path names nothing.
type explainingScope struct{ scope }

func (explainingScope) Explain(path string) string {
	return fmt.Sprintf("input has no field %q", strings.TrimPrefix(path, "input."))
}

// inlineBody is the body of most test loops.
func inlineBody() map[string]any {
	return map[string]any{
		"type":   "call-service",
		"config": map[string]any{"url": "http://edr.example/isolate/{item}", "method": "POST"},
	}
}

func stepRequest(lc *runbook.LoopConfig, cfg map[string]any, data runbook.DataScope) *runbook.StepRequest {
	return &runbook.StepRequest{
		ExecutionID: "exec-1",
		StepID:      "isolate-all",
		Step:        &runbook.Step{ID: "isolate-all", Type: runbook.StepLoop, LoopConfig: lc, Config: cfg},
		Runbook: &runbook.Runbook{ID: "rb", Steps: []*runbook.Step{
			{ID: "isolate-all", Type: runbook.StepLoop},
			{ID: "isolate-one", Type: runbook.StepCallService, Config: map[string]any{"url": "http://edr.example/{item}", "method": "POST"}},
		}},
		Config: cfg,
		Data:   data,
		Now:    now,
	}
}

func hosts(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("ws-%03d", i)
	}
	return out
}

func TestIterateOver(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		items           any
		maxIterations   int
		concurrency     int
		wantItems       []any
		wantMax         int
		wantConcurrency int
		wantWarn        bool
	}{
		{"five items", hosts(5), 10, 0, hosts(5), 10, 1, false},
		{"max three of five", hosts(5), 3, 2, hosts(3), 3, 2, true},
		{"concurrency capped at items", hosts(2), 10, 8, hosts(2), 10, 2, false},
		{"no max means the hard limit", hosts(4), 0, 4, hosts(4), runbook.MaxLoopIterations, 4, false},
		{"hard limit", hosts(runbook.MaxLoopIterations + 1), 2000, 1, hosts(runbook.MaxLoopIterations), runbook.MaxLoopIterations, 1, true},
		{"empty", []any{}, 10, 3, []any{}, 10, 1, false},
		{"typed slice", []string{"a", "b"}, 10, 1, []any{"a", "b"}, 10, 1, false},
		{"objects", []any{map[string]any{"host": "a"}}, 10, 1, []any{map[string]any{"host": "a"}}, 10, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lc := &runbook.LoopConfig{IterateOver: "input.hosts", MaxIterations: tt.maxIterations, Concurrency: tt.concurrency}
			out := loop.New().Execute(context.Background(), stepRequest(lc, map[string]any{"body": inlineBody()}, scope{"input.hosts": tt.items}))
			if out.Err != nil || out.Loop == nil {
				t.Fatalf("Execute = %+v (err %+v), want a loop plan", out, out.Err)
			}
			p := out.Loop
			if p.Items == nil || !reflect.DeepEqual(p.Items, tt.wantItems) {
				t.Errorf("Items = %#v, want %#v", p.Items, tt.wantItems)
			}
			if p.WhileMode || p.MaxIterations != tt.wantMax || p.Concurrency != tt.wantConcurrency || p.ContinueWhile != nil {
				t.Errorf("plan = %+v, want max %d, concurrency %d, not while mode", p, tt.wantMax, tt.wantConcurrency)
			}
			warned := false
			for _, l := range out.Logs {
				if l.Level == runbook.LogWarn {
					warned = true
					want := fmt.Sprintf("running the first %d", len(tt.wantItems))
					if !strings.Contains(l.Message, want) || !strings.Contains(l.Message, `"input.hosts"`) {
						t.Errorf("warning %q, want it to name the path and say %q", l.Message, want)
					}
				}
			}
			if warned != tt.wantWarn {
				t.Errorf("warned = %v, want %v (logs %+v)", warned, tt.wantWarn, out.Logs)
			}
		})
	}
}

func TestItemsAreACopy(t *testing.T) {
	t.Parallel()
	items := []any{"a", "b"}
	out := loop.New().Execute(context.Background(), stepRequest(
		&runbook.LoopConfig{IterateOver: "input.hosts", MaxIterations: 5},
		map[string]any{"body": inlineBody()}, scope{"input.hosts": items}))
	out.Loop.Items[0] = "changed"
	if items[0] != "a" {
		t.Errorf("the plan's items share the execution's data")
	}
}

func TestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  map[string]any
		want *runbook.Step
	}{
		{
			"inline body gets a default id",
			map[string]any{"body": inlineBody()},
			&runbook.Step{ID: "isolate-all-body", Type: runbook.StepCallService, Config: map[string]any{"url": "http://edr.example/isolate/{item}", "method": "POST"}},
		},
		{
			"inline body keeps its id",
			map[string]any{"body": map[string]any{"id": "isolate", "type": "call-service"}},
			&runbook.Step{ID: "isolate", Type: runbook.StepCallService},
		},
		{
			"body step of the runbook",
			map[string]any{"bodyStepId": "isolate-one"},
			&runbook.Step{ID: "isolate-one", Type: runbook.StepCallService, Config: map[string]any{"url": "http://edr.example/{item}", "method": "POST"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := stepRequest(&runbook.LoopConfig{IterateOver: "input.hosts", MaxIterations: 5}, tt.cfg, scope{"input.hosts": hosts(1)})
			out := loop.New().Execute(context.Background(), req)
			if out.Loop == nil {
				t.Fatalf("Execute = %+v (err %+v), want a plan", out, out.Err)
			}
			if !reflect.DeepEqual(out.Loop.Body, tt.want) {
				t.Errorf("Body = %+v, want %+v", out.Loop.Body, tt.want)
			}
			if rs := req.Runbook.Step("isolate-one"); out.Loop.Body == rs {
				t.Error("Body is the runbook's own step, want a copy")
			}
		})
	}
}

func TestWhileMode(t *testing.T) {
	t.Parallel()
	cond := &runbook.Condition{Field: "previous.hasMore", Operator: runbook.OpEq, Value: true}
	tests := []struct {
		name    string
		max     int
		wantMax int
	}{
		{"explicit max", 20, 20},
		{"default max", 0, runbook.MaxLoopIterations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lc := &runbook.LoopConfig{ContinueWhile: cond, MaxIterations: tt.max, Concurrency: 5}
			out := loop.New().Execute(context.Background(), stepRequest(lc, map[string]any{"body": inlineBody()}, scope{}))
			if out.Err != nil || out.Loop == nil {
				t.Fatalf("Execute = %+v (err %+v), want a plan", out, out.Err)
			}
			want := &runbook.LoopPlan{
				WhileMode:     true,
				ContinueWhile: cond,
				MaxIterations: tt.wantMax,
				Concurrency:   1,
				Body:          &runbook.Step{ID: "isolate-all-body", Type: runbook.StepCallService, Config: inlineBody()["config"].(map[string]any)},
			}
			if !reflect.DeepEqual(out.Loop, want) {
				t.Errorf("plan = %+v, want %+v", out.Loop, want)
			}
		})
	}
}

func TestExecuteRefuses(t *testing.T) {
	t.Parallel()
	body := map[string]any{"body": inlineBody()}
	tests := []struct {
		name string
		lc   *runbook.LoopConfig
		cfg  map[string]any
		data runbook.DataScope
		want string
		code string
	}{
		{"absent", &runbook.LoopConfig{IterateOver: "input.hosts"}, body, scope{}, `iterateOver "input.hosts": no such field`, runbook.EUNRESOLVED},
		{"absent, explained", &runbook.LoopConfig{IterateOver: "input.hosts"}, body, explainingScope{scope{}},
			`iterateOver "input.hosts": no such field (input has no field "hosts")`, runbook.EUNRESOLVED},
		{"no data", &runbook.LoopConfig{IterateOver: "input.hosts"}, body, nil, `iterateOver "input.hosts": no such field`, runbook.EUNRESOLVED},
		{"string", &runbook.LoopConfig{IterateOver: "input.hosts"}, body, scope{"input.hosts": "ws-1,ws-2"}, `iterateOver "input.hosts" is a string, not an array`, runbook.EINVALID},
		{"object", &runbook.LoopConfig{IterateOver: "input.hosts"}, body, scope{"input.hosts": map[string]any{}}, `iterateOver "input.hosts" is an object, not an array`, runbook.EINVALID},
		{"number", &runbook.LoopConfig{IterateOver: "input.hosts"}, body, scope{"input.hosts": 3.0}, `iterateOver "input.hosts" is a number, not an array`, runbook.EINVALID},
		{"null", &runbook.LoopConfig{IterateOver: "input.hosts"}, body, scope{"input.hosts": nil}, `iterateOver "input.hosts" is null, not an array`, runbook.EINVALID},
		{"no loop config", nil, body, scope{}, `loop step "isolate-all" has no loopConfig`, runbook.EINVALID},
		{"neither mode", &runbook.LoopConfig{MaxIterations: 3}, body, scope{}, `loop step "isolate-all" needs iterateOver or continueWhile`, runbook.EINVALID},
		{"no body", &runbook.LoopConfig{IterateOver: "input.hosts"}, map[string]any{}, scope{"input.hosts": hosts(1)},
			`loop step "isolate-all" has no body (config.body or config.bodyStepId)`, runbook.EINVALID},
		{"unknown body step", &runbook.LoopConfig{IterateOver: "input.hosts"}, map[string]any{"bodyStepId": "nope"}, scope{"input.hosts": hosts(1)},
			`bodyStepId "nope" names no step of the runbook`, runbook.EINVALID},
		{"bad body", &runbook.LoopConfig{IterateOver: "input.hosts"}, map[string]any{"body": "isolate"}, scope{"input.hosts": hosts(1)},
			"invalid loop config: decode config: ", runbook.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := loop.New().Execute(context.Background(), stepRequest(tt.lc, tt.cfg, tt.data))
			if out.Loop != nil || out.Err == nil {
				t.Fatalf("Execute = %+v, want a failure", out)
			}
			if !strings.HasPrefix(out.Err.Message, tt.want) || out.Err.Retryable || out.Err.Code != tt.code {
				t.Errorf("Err = %+v, want non-retryable %s %q", out.Err, tt.code, tt.want)
			}
		})
	}
}

func TestResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		items, results []any
		want           map[string]any
	}{
		{"items", []any{"a", "b"}, []any{1.0, 2.0}, map[string]any{"iterations": 2, "items": []any{"a", "b"}, "results": []any{1.0, 2.0}}},
		{"while mode", nil, []any{map[string]any{"page": 1.0}}, map[string]any{"iterations": 1, "items": []any{}, "results": []any{map[string]any{"page": 1.0}}}},
		{"nothing ran", []any{}, nil, map[string]any{"iterations": 0, "items": []any{}, "results": []any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := loop.Result(tt.items, tt.results); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Result = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func ExampleResult() {
	out := loop.Result([]any{"ws-001", "ws-002"}, []any{"isolated", "already isolated"})
	fmt.Println(out["iterations"], out["results"])
	// Output: 2 [isolated already isolated]
}
