package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/runbookhq/runbook"
)

// DecisionRequest is an approver's decision on a human-approval step.
type DecisionRequest struct {
	ApproverID string
	Decision   runbook.Decision
	Comments   string
	// Iteration picks a loop iteration; 0 means the step itself, or the
	// first iteration awaiting approval when the step is a loop.
	Iteration int
}

// Decide records an approval decision. The step's executor applies the
// rules (listed approvers only, one decision each, thresholds); the step
// completes or fails when they say so. It returns the step's state after
// the decision.
func (e *Engine) Decide(ctx context.Context, id, stepID string, d DecisionRequest) (*runbook.StepResult, error) {
	if strings.TrimSpace(d.ApproverID) == "" {
		return nil, runbook.Errorf(runbook.EINVALID, "approverId is required")
	}
	if d.Decision != runbook.Approved && d.Decision != runbook.Rejected {
		return nil, runbook.Errorf(runbook.EINVALID, "decision must be %q or %q, not %q", runbook.Approved, runbook.Rejected, d.Decision)
	}
	var result *runbook.StepResult
	err := e.transition(ctx, id, func(t *txn) error {
		k, ss, err := t.parkedInstance(stepID, d.Iteration, runbook.StepAwaitingApproval, "approval")
		if err != nil {
			return err
		}
		def := t.p.stepDef(k)
		handler, ok := e.cfg.Executors[def.Type].(runbook.SignalHandler)
		if !ok {
			return runbook.Errorf(runbook.ECONFLICT, "step %q does not take approvals", stepID)
		}
		approval := runbook.Approval{ApproverID: d.ApproverID, Decision: d.Decision, Timestamp: t.now, Comments: d.Comments}
		req, failed := t.request(k, def, ss.Attempt, true)
		if failed != nil {
			return runbook.Errorf(runbook.ECONFLICT, "step %q cannot take a decision: %s", stepID, failed.Err.Message)
		}
		out, err := handler.HandleSignal(req, waitState(ss), &runbook.Signal{Kind: runbook.WaitApproval, Approval: &approval})
		if err != nil {
			return err
		}
		t.emit(runbook.Event{Type: runbook.EventApprovalRecorded, StepID: k.step, Iteration: k.iter, Attempt: ss.Attempt,
			Actor: d.ApproverID, Reason: d.Comments, Approval: &approval})
		if out != nil {
			t.outcome(k, def, ss.Attempt, out, 0)
			t.advance()
		}
		result = stepView(t.p, t.s, def.ID, t.s.instance(k))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// parkedInstance finds the instance a signal is for and checks that it
// waits in the given status.
func (t *txn) parkedInstance(stepID string, iter int, want runbook.StepStatus, what string) (stepKey, *stepState, error) {
	if t.p.rb.Step(stepID) == nil {
		return stepKey{}, nil, runbook.Errorf(runbook.ENOTFOUND, "step %q not found in execution %s", stepID, t.s.ID)
	}
	if loop, isBody := t.p.bodyOf[stepID]; isBody {
		stepID = loop
	}
	k := stepKey{stepID, iter}
	ss := t.s.instance(k)
	if iter == 0 && ss != nil && ss.Loop != nil {
		for _, it := range ss.Loop.Iterations {
			if it.Status == want {
				k, ss = stepKey{stepID, it.Iteration}, it
				break
			}
		}
	}
	if ss == nil {
		if iter > 0 {
			return k, nil, runbook.Errorf(runbook.ENOTFOUND, "step %q has no iteration %d", stepID, iter)
		}
		return k, nil, runbook.Errorf(runbook.ECONFLICT, "step %q is pending; it is not awaiting %s", stepID, what)
	}
	if ss.Status != want {
		return k, nil, runbook.Errorf(runbook.ECONFLICT, "step %q is %s; it is not awaiting %s", stepID, ss.Status, what)
	}
	return k, ss, nil
}

// EventRequest is an external event sent to the engine.
type EventRequest struct {
	// ID identifies the event; generated when empty. Sending the same id
	// twice is an ECONFLICT error.
	ID            string
	Type          string
	CorrelationID string
	TenantID      string
	Payload       any
}

// SendEvent stores an event and delivers it to every step waiting for its
// type, correlation id and tenant. Steps that start waiting later still
// receive it if it arrived after their execution started. It returns the
// event id and how many waiting steps it completed.
func (e *Engine) SendEvent(ctx context.Context, req EventRequest) (string, int, error) {
	if strings.TrimSpace(req.Type) == "" {
		return "", 0, runbook.Errorf(runbook.EINVALID, "event type is required")
	}
	if req.TenantID == "" {
		req.TenantID = "default"
	}
	if req.ID == "" {
		req.ID = uuid.NewString()
	}
	payload, err := json.Marshal(req.Payload)
	if err != nil {
		return "", 0, runbook.Errorf(runbook.EINVALID, "event payload is not JSON: %v", err)
	}
	ev := &runbook.InboxEvent{ID: req.ID, TenantID: req.TenantID, Type: req.Type, CorrelationID: req.CorrelationID,
		Payload: payload, ReceivedAt: e.now()}
	waits, err := e.store.DeliverEvent(ctx, ev)
	if err != nil {
		return "", 0, err
	}
	matched := 0
	for _, w := range waits {
		ok, err := e.deliverEvent(ctx, w.ExecutionID, stepKey{w.StepID, w.Iteration}, ev)
		if err != nil && !isRefusal(err) {
			return ev.ID, matched, fmt.Errorf("deliver event to execution %s step %s: %w", w.ExecutionID, w.StepID, err)
		}
		if ok {
			matched++
		}
	}
	return ev.ID, matched, nil
}

// deliverEvent gives an event to one waiting step, at most once per step.
func (e *Engine) deliverEvent(ctx context.Context, id string, k stepKey, ev *runbook.InboxEvent) (bool, error) {
	delivered := false
	err := e.transition(ctx, id, func(t *txn) error {
		ss := t.s.instance(k)
		if t.s.Status.Terminal() || ss == nil || ss.Status != runbook.StepAwaitingEvent || ss.Wait == nil {
			return nil
		}
		w := ss.Wait
		if w.EventType != ev.Type || w.CorrelationID != ev.CorrelationID || w.TenantID != ev.TenantID {
			return nil
		}
		var payload any
		if len(ev.Payload) > 0 {
			if err := json.Unmarshal(ev.Payload, &payload); err != nil {
				return fmt.Errorf("decode event %s payload: %w", ev.ID, err)
			}
		}
		def := t.p.stepDef(k)
		handler, ok := e.cfg.Executors[def.Type].(runbook.SignalHandler)
		if !ok {
			return fmt.Errorf("step type %q cannot receive events", def.Type)
		}
		req, failed := t.request(k, def, ss.Attempt, true)
		t.emit(runbook.Event{Type: runbook.EventEventReceived, StepID: k.step, Iteration: k.iter, Attempt: ss.Attempt,
			EventID: ev.ID, Output: payload})
		out := failed
		if out == nil {
			var err error
			out, err = handler.HandleSignal(req, waitState(ss), &runbook.Signal{Kind: runbook.WaitEvent, EventID: ev.ID, Payload: payload})
			if err != nil {
				return err
			}
		}
		if out != nil {
			t.outcome(k, def, ss.Attempt, out, 0)
			t.advance()
		}
		delivered = true
		return nil
	})
	return delivered, err
}
