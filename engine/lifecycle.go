package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/runbookhq/runbook"
)

// StartRequest asks for a new execution of a runbook.
type StartRequest struct {
	RunbookID string
	// RunbookVersion is empty for the latest version.
	RunbookVersion string
	Input          any
	// Context defaults as in the previous engine (see
	// runbook.ExecutionContext.WithDefaults).
	Context *runbook.ExecutionContext
	// IdempotencyKey: a second start with the same key in the same tenant
	// returns the first execution instead of starting another.
	IdempotencyKey string
	// Actor is who starts it (defaults the context's initiatedBy).
	Actor string
}

// StartExecution starts an execution and returns its id; created is false
// when an execution with the same idempotency key already existed.
func (e *Engine) StartExecution(ctx context.Context, req StartRequest) (id string, created bool, err error) {
	if strings.TrimSpace(req.RunbookID) == "" {
		return "", false, runbook.Errorf(runbook.EINVALID, "runbookId is required")
	}
	ec := runbook.ExecutionContext{}
	if req.Context != nil {
		ec = *req.Context
	}
	ec = ec.WithDefaults(req.Actor)
	if req.IdempotencyKey != "" {
		if id, err := e.store.FindExecutionByKey(ctx, ec.TenantID, req.IdempotencyKey); err == nil {
			return id, false, nil
		} else if runbook.ErrorCode(err) != runbook.ENOTFOUND {
			return "", false, err
		}
	}
	actor := req.Actor
	if actor == "" {
		actor = ec.InitiatedBy
	}
	id, err = e.createExecution(ctx, createSpec{
		id:        newExecutionID(),
		runbookID: req.RunbookID,
		version:   req.RunbookVersion,
		input:     req.Input,
		context:   ec,
		idemKey:   req.IdempotencyKey,
		actor:     actor,
	})
	if err != nil {
		if req.IdempotencyKey != "" && runbook.ErrorCode(err) == runbook.ECONFLICT {
			// Another start with the same key won the race.
			if existing, ferr := e.store.FindExecutionByKey(ctx, ec.TenantID, req.IdempotencyKey); ferr == nil {
				return existing, false, nil
			}
		}
		return "", false, err
	}
	return id, true, nil
}

// createSpec describes an execution to create: a start, a replay or a
// sub-runbook's child.
type createSpec struct {
	id         string
	runbookID  string
	version    string
	input      any
	context    runbook.ExecutionContext
	idemKey    string
	actor      string
	parentID   string
	parentStep string
	parentIter int
	depth      int
	maxDepth   int // inherited limit; 0 for a top-level execution
	originalID string
	fromStep   string
	reuse      *execState // the original execution, when replaying from a step
	deletes    []runbook.TaskRef
}

// createExecution creates and starts an execution. Without a version it
// runs the runbook's latest, which on a shared store is taken from the
// cache and checked when the creation commits: a version stored by
// another node since refuses it (ESTALE), and it chooses again.
func (e *Engine) createExecution(ctx context.Context, cs createSpec) (string, error) {
	for try := 0; ; try++ {
		id, err := e.createExecutionOnce(ctx, cs)
		if cs.version == "" && runbook.ErrorCode(err) == runbook.ESTALE && try < maxStaleRetries {
			e.runbooks.forgetLatest(cs.runbookID)
			continue
		}
		return id, err
	}
}

func (e *Engine) createExecutionOnce(ctx context.Context, cs createSpec) (string, error) {
	version, versions := cs.version, 0
	if version == "" {
		v, n, err := e.runbooks.latestVersion(ctx, cs.runbookID)
		if err != nil {
			return "", err
		}
		version, versions = v, n
	}
	p, err := e.runbooks.get(ctx, cs.runbookID, version)
	if err != nil {
		return "", err
	}
	input := cs.input
	if input == nil {
		input = map[string]any{}
	}
	if err := p.validateInput(input); err != nil {
		return "", err
	}
	rb := p.rb
	maxDepth := rb.MaxDepth
	if maxDepth <= 0 {
		maxDepth = runbook.DefaultMaxDepth
	}
	if cs.maxDepth > 0 && cs.maxDepth < maxDepth {
		maxDepth = cs.maxDepth
	}
	maxConcurrent := rb.MaxConcurrentSteps
	if maxConcurrent <= 0 {
		maxConcurrent = e.cfg.MaxConcurrentSteps
	}
	st := &execState{ID: cs.id, Steps: map[string]*stepState{}}
	a := e.actors.acquire(cs.id)
	a.state = st
	t := e.newTxn(ctx, st, p)
	defer e.releaseTxn(t)
	t.a, t.create, t.base, t.runbookVersions = a, true, 0, versions
	var deadline *time.Time
	if rb.GlobalTimeoutMs > 0 {
		deadline = timePtr(t.now.Add(time.Duration(rb.GlobalTimeoutMs) * time.Millisecond))
	}
	t.emit(runbook.Event{Type: runbook.EventExecutionStarted, Actor: cs.actor, Start: &runbook.StartInfo{
		RunbookID:           rb.ID,
		RunbookVersion:      rb.Version,
		Input:               input,
		Context:             cs.context,
		IdempotencyKey:      cs.idemKey,
		ParentExecutionID:   cs.parentID,
		ParentStepID:        cs.parentStep,
		ParentIteration:     cs.parentIter,
		Depth:               cs.depth,
		MaxDepth:            maxDepth,
		MaxConcurrentSteps:  maxConcurrent,
		Deadline:            deadline,
		OriginalExecutionID: cs.originalID,
		FromStepID:          cs.fromStep,
	}})
	if cs.reuse != nil {
		t.reuse(cs.reuse, cs.fromStep)
	}
	t.delTasks = append(t.delTasks, cs.deletes...)
	t.advance()
	err = e.commit(ctx, a, t)
	if err != nil {
		a.state = nil
	}
	e.actors.release(cs.id, a)
	if err != nil {
		return "", err
	}
	e.afterCommit(t)
	return cs.id, nil
}

// reuse copies into a replay the results of the original's steps that are
// not downstream of the step the replay starts from.
func (t *txn) reuse(orig *execState, from string) {
	down := t.p.downstream(from)
	for _, def := range t.p.order {
		if down[def.ID] {
			continue
		}
		os := orig.Steps[def.ID]
		if os == nil {
			continue
		}
		switch os.Status {
		case runbook.StepCompleted:
			t.emit(runbook.Event{Type: runbook.EventStepCompleted, StepID: def.ID, Output: os.Output, NotTaken: os.NotTaken,
				Reused: true, Reason: "reused from execution " + orig.ID})
		case runbook.StepSkipped:
			t.emit(runbook.Event{Type: runbook.EventStepSkipped, StepID: def.ID, Reason: os.SkipReason})
		}
	}
}

// OperationRequest says who asks for a lifecycle operation and why.
type OperationRequest struct {
	Actor  string
	Reason string
}

func actorOr(a string) string {
	if a == "" {
		return "anonymous"
	}
	return a
}

// Pause stops an execution from starting new steps; running attempts
// finish and are recorded.
func (e *Engine) Pause(ctx context.Context, id string, op OperationRequest) error {
	err := e.transition(ctx, id, func(t *txn) error {
		if !t.s.Status.Active() {
			return runbook.Errorf(runbook.ECONFLICT, "execution %s is %s; only a running execution can be paused", id, t.s.Status)
		}
		t.emit(runbook.Event{Type: runbook.EventExecutionPaused, Actor: actorOr(op.Actor), Reason: op.Reason})
		return nil
	})
	return err
}

// Resume lets a paused execution continue where it stopped: steps that
// completed never run again.
func (e *Engine) Resume(ctx context.Context, id string, op OperationRequest) error {
	err := e.transition(ctx, id, func(t *txn) error {
		if t.s.Status != runbook.ExecutionPaused {
			return runbook.Errorf(runbook.ECONFLICT, "execution %s is %s; only a paused execution can be resumed", id, t.s.Status)
		}
		t.emit(runbook.Event{Type: runbook.EventExecutionResumed, Actor: actorOr(op.Actor), Reason: op.Reason})
		t.advance()
		return nil
	})
	return err
}

// Cancel ends an execution: running attempts are interrupted, waits are
// dropped, child executions are cancelled, nothing starts afterwards.
func (e *Engine) Cancel(ctx context.Context, id string, op OperationRequest) error {
	err := e.transition(ctx, id, func(t *txn) error {
		if t.s.Status.Terminal() {
			return runbook.Errorf(runbook.ECONFLICT, "execution %s is already %s", id, t.s.Status)
		}
		t.cancelExecution(actorOr(op.Actor), op.Reason)
		return nil
	})
	return err
}

func (t *txn) cancelExecution(actor, reason string) {
	stepReason := "execution cancelled by " + actor
	if reason != "" {
		stepReason += ": " + reason
	}
	t.stopAll(stepReason)
	t.emit(runbook.Event{Type: runbook.EventExecutionCancelled, Actor: actor, Reason: reason})
}

// RetryStep runs a failed step again (its attempt count continues) and
// lets the execution continue downstream. Steps cancelled because of the
// failure are reset so that they run again too.
func (e *Engine) RetryStep(ctx context.Context, id, stepID string, op OperationRequest) error {
	err := e.transition(ctx, id, func(t *txn) error {
		if t.p.rb.Step(stepID) == nil {
			return runbook.Errorf(runbook.ENOTFOUND, "step %q not found in execution %s", stepID, id)
		}
		if _, isBody := t.p.bodyOf[stepID]; isBody {
			return runbook.Errorf(runbook.ECONFLICT, "step %q runs as the body of loop %q; retry the loop", stepID, t.p.bodyOf[stepID])
		}
		if t.s.Status == runbook.ExecutionCancelled {
			return runbook.Errorf(runbook.ECONFLICT, "execution %s is cancelled; a cancelled execution cannot be retried", id)
		}
		ss := t.s.Steps[stepID]
		status := runbook.StepPending
		if ss != nil {
			status = ss.Status
		}
		if status != runbook.StepFailed {
			return runbook.Errorf(runbook.ECONFLICT, "step %q is %s; only a failed step can be retried", stepID, status)
		}
		wasFailed := t.s.Status == runbook.ExecutionFailed
		reason := op.Reason
		if reason == "" {
			reason = "retry requested"
		}
		t.emit(runbook.Event{Type: runbook.EventStepRetried, StepID: stepID, Actor: actorOr(op.Actor), Reason: reason})
		if wasFailed || t.firstFailed() == nil {
			for _, def := range t.p.order {
				if other := t.s.Steps[def.ID]; other != nil && other.Status == runbook.StepCancelled {
					t.emit(runbook.Event{Type: runbook.EventStepReset, StepID: def.ID, Actor: actorOr(op.Actor),
						Reason: fmt.Sprintf("execution resumed by the retry of step %q", stepID)})
				}
			}
		}
		t.advance()
		return nil
	})
	return err
}

// ReplayRequest asks for a new execution of the same runbook version and
// input as an earlier one.
type ReplayRequest struct {
	// FromStepID, when set, reuses the outputs of the steps that do not
	// depend on it and runs it and everything downstream again.
	FromStepID string
	// Context replaces the original's context when set.
	Context *runbook.ExecutionContext
	Actor   string
}

// Replay starts a new execution of the original's runbook version with its
// input, linked to it by originalExecutionId.
func (e *Engine) Replay(ctx context.Context, id string, req ReplayRequest) (string, error) {
	orig, err := e.readState(ctx, id)
	if err != nil {
		return "", err
	}
	p, err := e.runbooks.get(ctx, orig.RunbookID, orig.RunbookVersion)
	if err != nil {
		return "", err
	}
	if req.FromStepID != "" {
		if p.rb.Step(req.FromStepID) == nil {
			return "", runbook.Errorf(runbook.ENOTFOUND, "step %q not found in runbook %s version %s", req.FromStepID, orig.RunbookID, orig.RunbookVersion)
		}
		if loop, isBody := p.bodyOf[req.FromStepID]; isBody {
			return "", runbook.Errorf(runbook.EINVALID, "step %q is the body of loop %q; replay from the loop", req.FromStepID, loop)
		}
	}
	ec := orig.Context
	if req.Context != nil {
		ec = req.Context.WithDefaults(req.Actor)
	}
	cs := createSpec{
		id:         newExecutionID(),
		runbookID:  orig.RunbookID,
		version:    orig.RunbookVersion,
		input:      orig.Input,
		context:    ec,
		actor:      actorOr(req.Actor),
		originalID: id,
		fromStep:   req.FromStepID,
	}
	if req.FromStepID != "" {
		cs.reuse = orig
	}
	return e.createExecution(ctx, cs)
}
