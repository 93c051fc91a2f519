package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/expr"
)

// start begins an attempt of an instance. Inline executors run at once,
// inside this transition; others get a run task, with the request built
// now so that the worker can send it without touching the state again.
func (t *txn) start(k stepKey, attempt int) {
	t.emit(runbook.Event{Type: runbook.EventStepStarted, StepID: k.step, Iteration: k.iter, Attempt: attempt})
	if t.err != nil {
		return
	}
	def := t.p.stepDef(k)
	exec := t.e.cfg.Executors[def.Type]
	_, inline := exec.(runbook.InlineExecutor)
	req, failed := t.request(k, def, attempt, inline)
	switch {
	case failed != nil:
		t.outcome(k, def, attempt, failed, 0)
	case exec == nil:
		t.outcome(k, def, attempt, runbook.Failed(false, "no executor for step type %q", def.Type), 0)
	case !inline:
		if t.preps == nil {
			t.preps = map[string]*attemptPrep{}
		}
		t.preps[taskKey("run", k)] = &attemptPrep{req: req, exec: exec, def: def}
	default:
		t.outcome(k, def, attempt, exec.Execute(t.ctx, req), 0)
	}
}

// attemptPrep is an attempt ready to run on this node: built in the
// transition that started it, registered for interruption when it commits.
type attemptPrep struct {
	req    *runbook.StepRequest
	exec   runbook.Executor
	def    *runbook.Step
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// request builds what an executor sees of an attempt; withData sets its
// Data, for an inline executor (see runbook.StepRequest.Data). A config
// that cannot be rendered (an unresolvable placeholder) yields a failed
// outcome.
func (t *txn) request(k stepKey, def *runbook.Step, attempt int, withData bool) (*runbook.StepRequest, *runbook.Outcome) {
	// The scope is built only when something reads it: a worker's attempt
	// of a step whose config has no placeholder needs none.
	var scope *expr.Scope
	data := func() *expr.Scope {
		if scope == nil {
			scope = t.scope(k)
		}
		return scope
	}
	cfg := def.Config
	if def.Type != runbook.StepLoop && len(cfg) > 0 && !t.p.staticConfig[def] {
		rendered, err := expr.RenderValue(map[string]any(cfg), data())
		if err != nil {
			return nil, &runbook.Outcome{Err: &runbook.StepError{Message: "render config: " + err.Error(), Code: runbook.ErrorCode(err)}}
		}
		m, ok := rendered.(map[string]any)
		if !ok {
			return nil, runbook.Failed(false, "render config: result is not an object")
		}
		cfg = m
	}
	// The step's timeoutMs bounds every attempt; without it the executor
	// applies its own (call-service: config.timeoutMs, else 30 s).
	timeout := time.Duration(def.TimeoutMs) * time.Millisecond
	if def.ApprovalConfig != nil {
		rendered, err := t.renderApproval(def, data())
		if err != nil {
			return nil, &runbook.Outcome{Err: &runbook.StepError{Message: "render approvalConfig: " + err.Error(), Code: runbook.ErrorCode(err)}}
		}
		def = rendered
	}
	req := &runbook.StepRequest{
		ExecutionID:    t.s.ID,
		StepID:         k.step,
		Iteration:      k.iter,
		Attempt:        attempt,
		Step:           def,
		Runbook:        t.p.rb,
		Config:         cfg,
		Context:        t.s.Context,
		IdempotencyKey: idempotencyKey(t.s.ID, k),
		Timeout:        timeout,
		Now:            t.now,
		Depth:          t.s.Depth,
		MaxDepth:       t.s.MaxDepth,
	}
	if withData {
		req.Data = data()
	}
	return req, nil
}

// renderApproval returns a copy of def whose approvers and prompt have
// their placeholders resolved. An approver that renders to a list (such as
// "{input.approvers}") contributes each of its entries.
func (t *txn) renderApproval(def *runbook.Step, scope *expr.Scope) (*runbook.Step, error) {
	ac := *def.ApprovalConfig
	ac.Approvers = nil
	for _, a := range def.ApprovalConfig.Approvers {
		v, err := expr.Render(a, scope)
		if err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case string:
			ac.Approvers = append(ac.Approvers, v)
		case []any:
			for _, item := range v {
				s, ok := item.(string)
				if !ok {
					return nil, runbook.Errorf(runbook.EINVALID, "approver %q gives %v, not a list of user ids", a, v)
				}
				ac.Approvers = append(ac.Approvers, s)
			}
		default:
			return nil, runbook.Errorf(runbook.EINVALID, "approver %q gives %v, not a user id", a, v)
		}
	}
	if def.ApprovalConfig.Prompt != "" {
		v, err := expr.Render(def.ApprovalConfig.Prompt, scope)
		if err != nil {
			return nil, err
		}
		prompt, ok := v.(string)
		if !ok {
			prompt, _ = expr.Format(v)
		}
		ac.Prompt = prompt
	}
	copied := *def
	copied.ApprovalConfig = &ac
	return &copied, nil
}

// idempotencyKey is the key every attempt of an instance carries: the same
// on retries and after a crash, different for every execution.
func idempotencyKey(executionID string, k stepKey) string {
	if k.iter > 0 {
		return fmt.Sprintf("%s:%s:%d", executionID, k.step, k.iter)
	}
	return executionID + ":" + k.step
}

// scope returns the data an instance's placeholders and conditions see.
// Step outputs are looked up in the state, not copied.
func (t *txn) scope(k stepKey) *expr.Scope {
	s := t.s
	sc := &expr.Scope{ExecutionID: s.ID, Input: s.Input, Context: s.contextData(), StepIDs: t.p.stepIDs,
		Output: func(id string) (any, bool) {
			if ss := s.Steps[id]; ss != nil && ss.Status == runbook.StepCompleted {
				return ss.Output, true
			}
			return nil, false
		}}
	if k.iter > 0 {
		if loop := s.Steps[k.step]; loop != nil && loop.Loop != nil {
			l := loop.Loop
			locals := map[string]any{"index": float64(k.iter - 1), "item": nil, "previous": nil}
			if !l.While && k.iter <= len(l.Items) {
				locals["item"] = l.Items[k.iter-1]
			}
			if k.iter >= 2 && k.iter-2 < len(l.Iterations) {
				locals["previous"] = l.Iterations[k.iter-2].Output
			}
			sc.Locals = locals
		}
	}
	return sc
}

// contextData returns the execution context as JSON-like data for paths,
// computed once per loaded state (the context never changes).
func (s *execState) contextData() any {
	if s.ctxData != nil {
		return s.ctxData
	}
	b, err := json.Marshal(s.Context)
	if err != nil {
		return nil
	}
	if err := json.Unmarshal(b, &s.ctxData); err != nil {
		return nil
	}
	return s.ctxData
}

// outcome records what an attempt produced: completion, failure (with a
// retry when the policy allows), a wait, or the start of a loop.
func (t *txn) outcome(k stepKey, def *runbook.Step, attempt int, out *runbook.Outcome, deliveries int) {
	if out == nil {
		out = runbook.Failed(false, "executor returned no outcome")
	}
	if deliveries <= 1 {
		deliveries = 0
	}
	for i := range out.Evidence {
		out.Evidence[i].ExecutionID, out.Evidence[i].StepID = t.s.ID, k.step
	}
	base := runbook.Event{StepID: k.step, Iteration: k.iter, Attempt: attempt, Logs: out.Logs, Deliveries: deliveries}
	switch {
	case out.Err != nil:
		ev := base
		ev.Error = out.Err
		if delay, ok := t.retryDelay(def, attempt, out.Err); ok {
			if failed := t.firstFailed(); failed != nil {
				ev.Type = runbook.EventStepCancelled
				ev.Reason = fmt.Sprintf("attempt %d failed (%s) and is not retried: step %q failed", attempt, out.Err.Message, failed.StepID)
				t.emit(ev)
				return
			}
			due := t.now.Add(delay)
			ev.Type, ev.DueAt = runbook.EventStepRetryScheduled, &due
			t.emit(ev)
			return
		}
		ev.Type = runbook.EventStepFailed
		t.emit(ev)

	case out.Park != nil:
		ev := base
		ev.Wait = out.Park
		switch out.Park.Kind {
		case runbook.WaitApproval:
			ev.Type = runbook.EventApprovalRequested
		case runbook.WaitEvent:
			ev.Type = runbook.EventEventAwaited
		case runbook.WaitChild:
			t.startChild(k, base, out.Park)
			return
		default:
			t.fail(fmt.Errorf("step %s parks for unknown wait kind %q", k.step, out.Park.Kind))
			return
		}
		t.emit(ev)

	case out.Loop != nil:
		plan := out.Loop
		ev := base
		ev.Type = runbook.EventLoopStarted
		ev.Items, ev.While, ev.Concurrency, ev.MaxIterations = plan.Items, plan.WhileMode, max(plan.Concurrency, 1), plan.MaxIterations
		if ev.MaxIterations <= 0 || ev.MaxIterations > runbook.MaxLoopIterations {
			ev.MaxIterations = runbook.MaxLoopIterations
		}
		if !plan.WhileMode && len(plan.Items) > ev.MaxIterations {
			ev.Items = plan.Items[:ev.MaxIterations]
		}
		t.emit(ev)

	default:
		ev := base
		ev.Type = runbook.EventStepCompleted
		ev.Output, ev.NotTaken, ev.Evidence = out.Output, out.NotTaken, out.Evidence
		t.emit(ev)
	}
}

// startChild records the start of a sub-runbook execution and leaves a task
// that creates it, so that creating the child is retried until it happens.
func (t *txn) startChild(k stepKey, base runbook.Event, w *runbook.WaitInfo) {
	childID := newExecutionID()
	wait := *w
	wait.ChildID = childID
	ev := base
	ev.Type, ev.ChildID, ev.Wait = runbook.EventChildStarted, childID, &wait
	t.emit(ev)
	req := childStart{
		ChildID:        childID,
		RunbookID:      w.RunbookID,
		RunbookVersion: w.RunbookVersion,
		Input:          w.Input,
		Context:        t.s.Context,
		ParentID:       t.s.ID,
		ParentStepID:   k.step,
		ParentIter:     k.iter,
		Depth:          t.s.Depth + 1,
		MaxDepth:       t.s.MaxDepth,
	}
	t.putLocal(&runbook.Task{ExecutionID: childID, Key: keyStart, Kind: runbook.TaskStart, Payload: t.payload(req)})
}

// childStart is the payload of a TaskStart.
type childStart struct {
	ChildID        string                   `json:"childId"`
	RunbookID      string                   `json:"runbookId"`
	RunbookVersion string                   `json:"runbookVersion,omitempty"`
	Input          any                      `json:"input,omitempty"`
	Context        runbook.ExecutionContext `json:"context"`
	ParentID       string                   `json:"parentId"`
	ParentStepID   string                   `json:"parentStepId"`
	ParentIter     int                      `json:"parentIteration,omitempty"`
	Depth          int                      `json:"depth"`
	MaxDepth       int                      `json:"maxDepth"`
}

// retryDelay decides whether a failed attempt is retried and after how
// long: the step's policy, else the runbook's default, else the engine's.
func (t *txn) retryDelay(def *runbook.Step, attempt int, err *runbook.StepError) (time.Duration, bool) {
	p := t.e.retry
	switch {
	case def.RetryPolicy != nil:
		p = *def.RetryPolicy
	case t.p.rb.DefaultRetryPolicy != nil:
		p = *t.p.rb.DefaultRetryPolicy
	}
	if !err.Retryable || attempt >= p.MaxAttempts {
		return 0, false
	}
	if len(p.RetryableErrors) > 0 && !matchesRetryable(p.RetryableErrors, err) {
		return 0, false
	}
	return backoff(p, attempt, err.RetryAfterMs), true
}

// matchesRetryable reports whether an error is one of the listed kinds: a
// list entry matches, ignoring case, a part of the message, the error's
// code (timeout, unavailable, ...) or its HTTP status ("503").
func matchesRetryable(list []string, err *runbook.StepError) bool {
	msg := strings.ToLower(err.Message)
	for _, s := range list {
		s = strings.ToLower(strings.TrimSpace(s))
		switch {
		case s == "":
		case strings.Contains(msg, s), s == strings.ToLower(err.Code):
			return true
		case err.StatusCode != 0 && s == strconv.Itoa(err.StatusCode):
			return true
		}
	}
	return false
}

// backoff returns min(initialDelay * multiplier^(attempt-1), maxDelay),
// spread by the policy's jitter, and never less than what the target asked
// for with Retry-After (capped at one day).
func backoff(p runbook.RetryPolicy, attempt int, retryAfterMs int64) time.Duration {
	mult := p.BackoffMultiplier
	if mult < 1 {
		mult = 1
	}
	ms := float64(p.InitialDelayMs) * math.Pow(mult, float64(attempt-1))
	if p.MaxDelayMs > 0 && ms > float64(p.MaxDelayMs) {
		ms = float64(p.MaxDelayMs)
	}
	if p.Jitter > 0 {
		ms *= 1 + p.Jitter*(2*rand.Float64()-1)
	}
	if ra := float64(min(retryAfterMs, int64(24*time.Hour/time.Millisecond))); ra > ms {
		ms = ra
	}
	if ms < 0 || math.IsNaN(ms) {
		ms = 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// newExecutionID returns a time-ordered unique id (UUIDv7), so that listing
// executions by id lists them by creation time.
func newExecutionID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
