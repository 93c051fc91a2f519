package waitforevent_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor/waitforevent"
)

var now = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func stepRequest(cfg map[string]any, stepTimeoutMs int64) *runbook.StepRequest {
	return &runbook.StepRequest{
		ExecutionID: "exec-1",
		StepID:      "await-scan",
		Step:        &runbook.Step{ID: "await-scan", Type: runbook.StepWaitForEvent, TimeoutMs: stepTimeoutMs},
		Config:      cfg,
		Context:     runbook.ExecutionContext{TenantID: "acme"},
		Now:         now,
	}
}

func TestExecuteParks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		cfg           map[string]any
		stepTimeoutMs int64
		wantTimeout   time.Duration
	}{
		{"config timeout", map[string]any{"eventType": "scan.completed", "correlationId": "abc", "timeoutMs": 5000.0}, 9000, 5 * time.Second},
		{"step timeout", map[string]any{"eventType": "scan.completed", "correlationId": "abc"}, 9000, 9 * time.Second},
		{"default timeout", map[string]any{"eventType": "scan.completed", "correlationId": "abc", "pollIntervalMs": 1000.0}, 0, runbook.DefaultEventTimeoutMs * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := waitforevent.New().Execute(context.Background(), stepRequest(tt.cfg, tt.stepTimeoutMs))
			want := &runbook.WaitInfo{
				Kind:          runbook.WaitEvent,
				EventType:     "scan.completed",
				CorrelationID: "abc",
				TenantID:      "acme",
				Deadline:      now.Add(tt.wantTimeout),
			}
			if out.Err != nil || !reflect.DeepEqual(out.Park, want) {
				t.Errorf("Execute = %+v (park %+v), want park %+v", out, out.Park, want)
			}
		})
	}
}

func TestExecuteRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"no event type", map[string]any{"correlationId": "abc"}, "missing required config: eventType"},
		{"wrong type", map[string]any{"eventType": 3.0}, "invalid wait-for-event config: decode config: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := waitforevent.New().Execute(context.Background(), stepRequest(tt.cfg, 0))
			if out.Park != nil || out.Err == nil || !strings.HasPrefix(out.Err.Message, tt.want) || out.Err.Retryable || out.Err.Code != runbook.EINVALID {
				t.Errorf("Execute = %+v (err %+v), want non-retryable %q", out, out.Err, tt.want)
			}
		})
	}
}

func TestHandleSignal(t *testing.T) {
	t.Parallel()
	req := stepRequest(map[string]any{"eventType": "scan.completed"}, 0)
	payload := map[string]any{"findings": []any{"CVE-2024-0001"}, "clean": false}
	out, err := waitforevent.New().HandleSignal(req, &runbook.WaitState{}, &runbook.Signal{Kind: runbook.WaitEvent, EventID: "ev-1", Payload: payload})
	if err != nil || out == nil || out.Err != nil || !reflect.DeepEqual(out.Output, payload) {
		t.Errorf("HandleSignal = %+v, %v; want the payload as output", out, err)
	}
}

func TestHandleSignalRefusesOtherKinds(t *testing.T) {
	t.Parallel()
	req := stepRequest(map[string]any{"eventType": "scan.completed"}, 0)
	for _, sig := range []*runbook.Signal{nil, {Kind: runbook.WaitApproval, Approval: &runbook.Approval{}}, {Kind: runbook.WaitChild}} {
		out, err := waitforevent.New().HandleSignal(req, &runbook.WaitState{}, sig)
		if out != nil || runbook.ErrorCode(err) != runbook.EINVALID || runbook.ErrorMessage(err) != `step "await-scan" waits for an event` {
			t.Errorf("HandleSignal(%+v) = %+v, %v; want EINVALID", sig, out, err)
		}
	}
}

func TestHandleTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"with correlation", map[string]any{"eventType": "scan.completed", "correlationId": "abc"}, `timeout waiting for event "scan.completed" (correlation "abc") after 60000ms`},
		{"without correlation", map[string]any{"eventType": "scan.completed", "timeoutMs": 1500.0}, `timeout waiting for event "scan.completed" after 1500ms`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := stepRequest(tt.cfg, 0)
			e := waitforevent.New()
			park := e.Execute(context.Background(), req).Park
			out := e.HandleTimeout(req, &runbook.WaitState{Info: *park, Since: now})
			if out.Err == nil || out.Err.Message != tt.want || out.Err.Retryable || out.Err.Code != runbook.ETIMEOUT {
				t.Errorf("Err = %+v, want non-retryable %q", out.Err, tt.want)
			}
		})
	}
}

func TestHandleTimeoutFromTheWait(t *testing.T) {
	t.Parallel()
	req := &runbook.StepRequest{StepID: "await-scan"}
	wait := &runbook.WaitState{
		Info:  runbook.WaitInfo{Kind: runbook.WaitEvent, EventType: "x", Deadline: now.Add(2 * time.Second)},
		Since: now,
	}
	out := waitforevent.New().HandleTimeout(req, wait)
	if out.Err == nil || out.Err.Message != `timeout waiting for event "x" after 2000ms` {
		t.Errorf("Err = %+v", out.Err)
	}
}
