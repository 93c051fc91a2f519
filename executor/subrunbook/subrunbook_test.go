package subrunbook_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor/subrunbook"
)

var now = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func stepRequest(cfg map[string]any, depth, maxDepth int) *runbook.StepRequest {
	return &runbook.StepRequest{
		ExecutionID: "exec-1",
		StepID:      "contain",
		Step:        &runbook.Step{ID: "contain", Type: runbook.StepSubRunbook},
		Config:      cfg,
		Now:         now,
		Depth:       depth,
		MaxDepth:    maxDepth,
	}
}

// waitFor returns the wait of a step that parked on the runbook "isolate-host".
func waitFor() *runbook.WaitState {
	return &runbook.WaitState{Info: runbook.WaitInfo{Kind: runbook.WaitChild, RunbookID: "isolate-host", ChildID: "child-9"}, Since: now}
}

func TestExecuteParks(t *testing.T) {
	t.Parallel()
	input := map[string]any{"host": "ws-042"}
	out := subrunbook.New().Execute(context.Background(), stepRequest(map[string]any{
		"runbookId": "isolate-host", "runbookVersion": "2.0.0", "input": input,
	}, 4, 5))
	want := &runbook.WaitInfo{Kind: runbook.WaitChild, RunbookID: "isolate-host", RunbookVersion: "2.0.0", Input: input}
	if out.Err != nil || !reflect.DeepEqual(out.Park, want) {
		t.Errorf("Execute = %+v (park %+v), want park %+v", out, out.Park, want)
	}
}

func TestExecuteStepTimeoutSetsDeadline(t *testing.T) {
	t.Parallel()
	req := stepRequest(map[string]any{"runbookId": "isolate-host"}, 0, 5)
	req.Step.TimeoutMs = 600_000
	out := subrunbook.New().Execute(context.Background(), req)
	if out.Park == nil || !out.Park.Deadline.Equal(now.Add(10*time.Minute)) {
		t.Errorf("Execute = %+v, want a wait with a deadline in 10 minutes", out.Park)
	}
}

func TestExecuteRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		cfg             map[string]any
		depth, maxDepth int
		want            string
	}{
		{"depth limit", map[string]any{"runbookId": "isolate-host"}, 5, 5, "maximum runbook depth 5 exceeded"},
		{"custom depth limit", map[string]any{"runbookId": "isolate-host"}, 2, 2, "maximum runbook depth 2 exceeded"},
		{"default depth limit", map[string]any{"runbookId": "isolate-host"}, runbook.DefaultMaxDepth, 0, "maximum runbook depth 5 exceeded"},
		{"no runbook", map[string]any{"input": map[string]any{}}, 0, 5, "missing required config: runbookId"},
		{"bad config", map[string]any{"runbookId": []any{"x"}}, 0, 5, "invalid runbook step config: decode config: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := subrunbook.New().Execute(context.Background(), stepRequest(tt.cfg, tt.depth, tt.maxDepth))
			if out.Park != nil || out.Err == nil || !strings.HasPrefix(out.Err.Message, tt.want) || out.Err.Retryable {
				t.Errorf("Execute = %+v (err %+v), want non-retryable %q", out, out.Err, tt.want)
			}
		})
	}
}

func TestHandleSignal(t *testing.T) {
	t.Parallel()
	childOutput := map[string]any{"isolated": true}
	tests := []struct {
		name    string
		sig     *runbook.Signal
		wantOut any
		wantErr string
	}{
		{"completed", &runbook.Signal{Kind: runbook.WaitChild, ChildID: "child-9", ChildStatus: runbook.ExecutionCompleted, ChildOutput: childOutput}, childOutput, ""},
		{"failed", &runbook.Signal{Kind: runbook.WaitChild, ChildID: "child-9", ChildStatus: runbook.ExecutionFailed, ChildError: `step "isolate" failed: HTTP 500`},
			nil, `sub-runbook "isolate-host" execution child-9 failed: step "isolate" failed: HTTP 500`},
		{"cancelled", &runbook.Signal{Kind: runbook.WaitChild, ChildID: "child-9", ChildStatus: runbook.ExecutionCancelled},
			nil, `sub-runbook "isolate-host" execution child-9 was cancelled`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := subrunbook.New().HandleSignal(stepRequest(nil, 0, 5), waitFor(), tt.sig)
			if err != nil || out == nil {
				t.Fatalf("HandleSignal = %+v, %v; want an outcome", out, err)
			}
			if tt.wantErr == "" {
				if out.Err != nil || !reflect.DeepEqual(out.Output, tt.wantOut) {
					t.Errorf("outcome = %+v, want output %#v", out, tt.wantOut)
				}
				return
			}
			if out.Err == nil || out.Err.Message != tt.wantErr || out.Err.Retryable {
				t.Errorf("Err = %+v, want non-retryable %q", out.Err, tt.wantErr)
			}
		})
	}
}

func TestHandleSignalRefuses(t *testing.T) {
	t.Parallel()
	for _, sig := range []*runbook.Signal{
		nil,
		{Kind: runbook.WaitEvent, Payload: 1},
		{Kind: runbook.WaitChild, ChildID: "child-9", ChildStatus: runbook.ExecutionRunning},
	} {
		out, err := subrunbook.New().HandleSignal(stepRequest(nil, 0, 5), waitFor(), sig)
		if out != nil || runbook.ErrorCode(err) != runbook.EINVALID {
			t.Errorf("HandleSignal(%+v) = %+v, %v; want EINVALID", sig, out, err)
		}
	}
}

func TestHandleTimeout(t *testing.T) {
	t.Parallel()
	req := stepRequest(nil, 0, 5)
	req.Step.TimeoutMs = 90_000
	out := subrunbook.New().HandleTimeout(req, waitFor())
	want := `sub-runbook timed out: "isolate-host" did not finish within 90000ms`
	if out.Err == nil || out.Err.Message != want || out.Err.Retryable || out.Err.Code != runbook.ETIMEOUT {
		t.Errorf("Err = %+v, want non-retryable %q", out.Err, want)
	}
}
