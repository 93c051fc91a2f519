package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/runbookhq/runbook"
)

// dispatch runs a task on this node in its own goroutine. held says the
// caller already counted the task on the execution's actor.
func (e *Engine) dispatch(task *runbook.Task, held bool, prep *attemptPrep) {
	key, ok := e.admit(task, held, prep)
	if !ok {
		return
	}
	e.workers.run(func() { e.runLocal(task, prep, key) })
}

// admit does what a task needs before it runs on this node: it counts
// the task as running (false when the engine is closing: the task stays
// leased to this node until Close releases the leases for the next
// process), holds its execution's actor unless held says the caller did,
// and records it as running here under the key it returns.
func (e *Engine) admit(task *runbook.Task, held bool, prep *attemptPrep) (key string, ok bool) {
	if !e.running.begin() {
		if prep != nil && prep.cancel != nil {
			prep.cancel(errShuttingDown)
		}
		if held {
			e.actors.unhold(task.ExecutionID)
		}
		return "", false
	}
	if !held {
		e.actors.hold(task.ExecutionID)
	}
	key = task.ExecutionID + "\x00" + task.Key
	e.localTasks.Store(key, task)
	return key, true
}

// continuation is a task that the transition ending an attempt started
// and left to the worker that ran the attempt, which runs it next itself
// instead of waking another worker: in a chain of steps, the next
// request leaves from the goroutine that read the previous answer.
type continuation struct {
	task *runbook.Task
	prep *attemptPrep
}

// runLocal runs an admitted task on the calling worker, then the tasks
// handed on to it (see continuation).
func (e *Engine) runLocal(task *runbook.Task, prep *attemptPrep, key string) {
	for {
		next := e.runAdmitted(task, prep, key)
		if next.task == nil {
			return
		}
		var ok bool
		// Counted on the actor by the transition that started it.
		if key, ok = e.admit(next.task, true, next.prep); !ok {
			return
		}
		task, prep = next.task, next.prep
	}
}

// runAdmitted runs one admitted task and undoes what admit did.
func (e *Engine) runAdmitted(task *runbook.Task, prep *attemptPrep, key string) (next continuation) {
	defer e.running.end()
	defer e.actors.unhold(task.ExecutionID)
	defer e.localTasks.CompareAndDelete(key, task)
	if task.Kind == runbook.TaskRun {
		select {
		case e.slots <- struct{}{}:
			defer func() { <-e.slots }()
		case <-e.ctx.Done():
			if prep != nil && prep.cancel != nil {
				prep.cancel(errShuttingDown)
			}
			return continuation{}
		}
	}
	next, err := e.handle(task, prep)
	switch {
	case err == nil:
		e.taskFailures.Delete(key)
	case e.ctx.Err() == nil:
		e.retryLater(task, key, err)
	}
	return next
}

// maxTaskRetryDelay bounds the wait before a task that keeps failing is
// tried again.
const maxTaskRetryDelay = time.Minute

// retryLater runs a task that failed here again, after a poll interval
// that doubles with each failure in a row up to maxTaskRetryDelay. Its
// lease is this node's and renewed with the others, so no other node
// would; and a store that only this process uses has no leases to expire.
func (e *Engine) retryLater(task *runbook.Task, key string, err error) {
	failures := 1
	if v, ok := e.taskFailures.Load(key); ok {
		failures += v.(int)
	}
	e.taskFailures.Store(key, failures)
	delay := e.cfg.PollInterval
	for i := 1; i < failures && delay < maxTaskRetryDelay; i++ {
		delay *= 2
	}
	delay = min(delay, maxTaskRetryDelay)
	e.obs.TaskFailed(task.Kind)
	e.log.Error("task failed; trying it again", "execution", task.ExecutionID, "task", task.Key,
		"failures", failures, "retry_in", delay, "err", err)
	e.later(delay, []*runbook.Task{task})
}

// later dispatches tasks after delay, each unless it runs here by then; a
// closing engine drops them (their leases are released for the next
// process).
func (e *Engine) later(delay time.Duration, tasks []*runbook.Task) {
	if !e.running.begin() {
		return
	}
	go func() {
		defer e.running.end()
		if !e.sleep(delay) {
			return
		}
		for _, task := range tasks {
			if !e.runningHere(task) {
				e.dispatch(task, false, nil)
			}
		}
	}()
}

// recheckLater runs, after a poll interval, the tasks a commit that may or
// may not have been made leased to this node. Each task's handler checks
// the stored state first, so a task of a commit that was not made does
// nothing; one of a commit that was made runs, as it would have at once.
func (e *Engine) recheckLater(tasks []*runbook.Task, err error) {
	e.log.Warn("a commit failed and may still have been made; its tasks are checked again",
		"execution", tasks[0].ExecutionID, "tasks", len(tasks), "retry_in", e.cfg.PollInterval, "err", err)
	e.later(e.cfg.PollInterval, tasks)
}

// runningHere reports whether this node is already running the task (a
// claim of a task whose lease lapsed while it ran here).
func (e *Engine) runningHere(task *runbook.Task) bool {
	v, ok := e.localTasks.Load(task.ExecutionID + "\x00" + task.Key)
	if !ok {
		return false
	}
	have := v.(*runbook.Task)
	return have.Kind == task.Kind && have.Attempt == task.Attempt
}

// handle runs a task; an attempt may hand on the next one (see
// continuation).
func (e *Engine) handle(task *runbook.Task, prep *attemptPrep) (continuation, error) {
	switch task.Kind {
	case runbook.TaskRun:
		return e.runAttempt(task, prep)
	case runbook.TaskTimer:
		return continuation{}, e.fireTimer(task)
	case runbook.TaskChild:
		return continuation{}, e.childEnded(task)
	case runbook.TaskStart:
		return continuation{}, e.startChildExecution(task)
	case runbook.TaskCancel:
		return continuation{}, e.cancelFromTask(task)
	}
	return continuation{}, fmt.Errorf("unknown task kind %q", task.Kind)
}

// runAttempt executes one attempt of a step outside any lock and records
// its outcome. prep is the attempt built by the transition that started it
// on this node; a task claimed from the store (after a crash, or from
// another node) is prepared here.
func (e *Engine) runAttempt(task *runbook.Task, prep *attemptPrep) (next continuation, err error) {
	id, k := task.ExecutionID, stepKey{task.StepID, task.Iteration}
	if prep == nil || prep.ctx == nil {
		prep = nil
		err := e.transition(e.ctx, id, func(t *txn) error {
			ss := t.s.instance(k)
			if t.s.Status.Terminal() || ss == nil || ss.Status != runbook.StepRunning || ss.Attempt != task.Attempt {
				t.forgetStale(task, ss)
				return nil
			}
			if at := t.a.inflight[k]; at != nil && at.attempt == task.Attempt {
				// The attempt runs here already: this task was dispatched
				// a second time (see recheckLater), maybe before the
				// first dispatch was counted in localTasks.
				return nil
			}
			def := t.p.stepDef(k)
			req, failed := t.request(k, def, task.Attempt, false)
			exec := e.cfg.Executors[def.Type]
			if failed == nil && exec == nil {
				failed = runbook.Failed(false, "no executor for step type %q", def.Type)
			}
			if failed != nil {
				t.outcome(k, def, task.Attempt, failed, task.Deliveries)
				t.advance()
				return nil
			}
			prep = &attemptPrep{req: req, exec: exec, def: def}
			prep.ctx, prep.cancel = context.WithCancelCause(e.ctx)
			t.a.inflight[k] = &inflightAttempt{cancel: prep.cancel, attempt: task.Attempt, since: t.now}
			return nil
		})
		if err != nil || prep == nil {
			return continuation{}, err
		}
	}
	req, exec, def, ctx, cancel := prep.req, prep.exec, prep.def, prep.ctx, prep.cancel
	defer cancel(nil)
	attemptCtx := ctx
	if req.Timeout > 0 {
		var stop context.CancelFunc
		attemptCtx, stop = context.WithTimeout(ctx, req.Timeout)
		defer stop()
	}
	began := time.Now()
	out := safeExecute(attemptCtx, exec, req)
	e.obs.AttemptDuration(def.Type, time.Since(began))
	record := func(t *txn) error {
		t.handOff = &next
		if t.a.inflight[k] != nil {
			delete(t.a.inflight, k)
		}
		if e.ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
			// Shutdown interrupted the attempt: hand the task back
			// without recording anything.
			return errShuttingDown
		}
		ss := t.s.instance(k)
		if t.s.Status.Terminal() || ss == nil || ss.Status != runbook.StepRunning || ss.Attempt != task.Attempt {
			return nil // cancelled or timed out meanwhile: already recorded
		}
		t.outcome(k, def, task.Attempt, out, task.Deliveries)
		t.advance()
		return nil
	}
	err = e.transition(e.ctx, id, record)
	// The store failing to record the outcome (a lost connection, a
	// database restarting) is no reason to run the step again: the
	// outcome is recorded as soon as the store takes it.
	tries := 1
	for delay := minRecordRetry; storeFailed(err) && e.ctx.Err() == nil; delay = min(2*delay, e.cfg.PollInterval) {
		e.log.Warn("could not record the outcome of a step; trying again", "execution", id, "step", k.step,
			"attempt", task.Attempt, "retry_in", delay, "err", err)
		if !e.sleep(delay) {
			break
		}
		err = e.transition(e.ctx, id, record)
		tries++
	}
	if tries > 1 && err == nil {
		// Recorded, or found decided by another node meanwhile.
		e.log.Info("the outcome of a step reached the store", "execution", id, "step", k.step,
			"attempt", task.Attempt, "tries", tries)
	}
	if code := runbook.ErrorCode(err); code == runbook.EINVALID || code == runbook.ETOOLARGE {
		// The store will never take this outcome (text it cannot keep,
		// say): the step fails with the reason instead of running again.
		e.log.Error("the store refused the outcome of a step; recording the step as failed", "execution", id,
			"step", k.step, "attempt", task.Attempt, "err", err)
		out = runbook.Failed(false, "the step's outcome could not be stored: %s", runbook.ErrorMessage(err))
		err = e.transition(e.ctx, id, record)
	}
	if runbook.ErrorCode(err) == runbook.EUNAVAILABLE && e.ctx.Err() != nil {
		return next, nil
	}
	return next, err
}

// minRecordRetry is the first wait before recording an attempt's outcome
// again after the store failed; the waits double up to the poll interval.
const minRecordRetry = 50 * time.Millisecond

// storeFailed reports an error of the store itself (unreachable, a lost
// connection, a fault), after which the same transition may succeed, as
// opposed to a refusal of the transition.
func storeFailed(err error) bool {
	code := runbook.ErrorCode(err)
	return code == runbook.EUNAVAILABLE || code == runbook.EINTERNAL
}

// safeExecute runs an executor, turning a panic into a failed attempt.
func safeExecute(ctx context.Context, exec runbook.Executor, req *runbook.StepRequest) (out *runbook.Outcome) {
	defer func() {
		if r := recover(); r != nil {
			out = runbook.Failed(false, "executor panicked: %v", r)
		}
	}()
	return exec.Execute(ctx, req)
}

// forgetStale deletes a task that no longer matches its execution, unless
// a newer task of the same key may live in its row.
func (t *txn) forgetStale(task *runbook.Task, ss *stepState) {
	if t.s.Status.Terminal() || ss == nil || ss.Status.Done() {
		t.delTasks = append(t.delTasks, runbook.TaskRef{ExecutionID: task.ExecutionID, Key: task.Key})
	}
}

// fireTimer handles a due timer: a retry, a wait deadline or the global
// timeout.
func (e *Engine) fireTimer(task *runbook.Task) error {
	k := stepKey{task.StepID, task.Iteration}
	err := e.transition(e.ctx, task.ExecutionID, func(t *txn) error {
		if t.s.Status.Terminal() {
			t.forgetStale(task, nil)
			return nil
		}
		if task.Timer == runbook.TimerGlobal {
			t.emit(runbook.Event{Type: runbook.EventTimerFired, Timer: runbook.TimerGlobal})
			limit := "the global timeout"
			if rb := t.p.rb; rb.GlobalTimeoutMs > 0 {
				limit = fmt.Sprintf("the global timeout of %dms", rb.GlobalTimeoutMs)
			}
			msg := "execution exceeded " + limit
			t.stopAll(msg)
			t.emit(runbook.Event{Type: runbook.EventExecutionFailed, Error: &runbook.StepError{Message: msg, Code: runbook.ETIMEOUT}})
			return nil
		}
		ss := t.s.instance(k)
		switch task.Timer {
		case runbook.TimerRetry:
			if ss == nil || ss.Status != runbook.StepRetrying || ss.Attempt != task.Attempt {
				t.forgetStale(task, ss)
				return nil
			}
			t.emit(runbook.Event{Type: runbook.EventTimerFired, StepID: k.step, Iteration: k.iter, Timer: runbook.TimerRetry, Attempt: ss.Attempt})
			t.advance()
		case runbook.TimerApproval, runbook.TimerEvent, runbook.TimerChild:
			waiting := ss != nil && (ss.parked() || (ss.Status == runbook.StepRunning && ss.ChildID != ""))
			if !waiting || ss.Wait == nil || !ss.Wait.Deadline.Equal(task.DueAt) {
				t.forgetStale(task, ss)
				return nil
			}
			def := t.p.stepDef(k)
			handler, ok := e.cfg.Executors[def.Type].(runbook.SignalHandler)
			if !ok {
				return fmt.Errorf("step type %q cannot handle a timeout", def.Type)
			}
			req, failed := t.request(k, def, ss.Attempt, true)
			t.emit(runbook.Event{Type: runbook.EventTimerFired, StepID: k.step, Iteration: k.iter, Timer: task.Timer, Attempt: ss.Attempt})
			out := failed
			if out == nil {
				out = handler.HandleTimeout(req, waitState(ss))
			}
			t.outcome(k, def, ss.Attempt, out, 0)
			t.advance()
		default:
			return fmt.Errorf("unknown timer %q", task.Timer)
		}
		return nil
	})
	return err
}

// waitState is what a parked instance has received so far.
func waitState(ss *stepState) *runbook.WaitState {
	ws := &runbook.WaitState{Approvals: append([]runbook.Approval(nil), ss.Approvals...)}
	if ss.Wait != nil {
		ws.Info = *ss.Wait
	}
	if ss.WaitSince != nil {
		ws.Since = *ss.WaitSince
	}
	return ws
}

// stopAll cancels every started, unfinished instance of the execution.
func (t *txn) stopAll(reason string) {
	for _, def := range t.p.order {
		ss := t.s.Steps[def.ID]
		if ss == nil || ss.Status.Done() {
			continue
		}
		if ss.Loop != nil {
			for _, it := range ss.Loop.Iterations {
				if !it.Status.Done() && it.Status != runbook.StepPending {
					t.emit(runbook.Event{Type: runbook.EventStepCancelled, StepID: def.ID, Iteration: it.Iteration, Reason: reason})
				}
			}
		}
		if ss.Status != runbook.StepPending {
			t.emit(runbook.Event{Type: runbook.EventStepCancelled, StepID: def.ID, Reason: reason})
		}
	}
}

// childEnded delivers a child execution's end to the waiting parent step.
func (e *Engine) childEnded(task *runbook.Task) error {
	var p childPayload
	if err := json.Unmarshal(task.Payload, &p); err != nil {
		return fmt.Errorf("decode child task: %w", err)
	}
	k := stepKey{task.StepID, task.Iteration}
	err := e.transition(e.ctx, task.ExecutionID, func(t *txn) error {
		ss := t.s.instance(k)
		if t.s.Status.Terminal() || ss == nil || ss.Status != runbook.StepRunning || ss.ChildID != p.ChildID {
			t.delTasks = append(t.delTasks, runbook.TaskRef{ExecutionID: task.ExecutionID, Key: task.Key})
			return nil
		}
		t.finishChild(k, ss, p)
		return nil
	})
	return err
}

// finishChild records a child's end on the parent step and ends the step.
func (t *txn) finishChild(k stepKey, ss *stepState, p childPayload) {
	ev := runbook.Event{Type: runbook.EventChildFinished, StepID: k.step, Iteration: k.iter, Attempt: ss.Attempt,
		ChildID: p.ChildID, ChildStatus: p.Status, Output: p.Output}
	if p.Error != "" {
		ev.Error = &runbook.StepError{Message: p.Error}
	}
	t.emit(ev)
	def := t.p.stepDef(k)
	handler, ok := t.e.cfg.Executors[def.Type].(runbook.SignalHandler)
	var out *runbook.Outcome
	if !ok {
		out = runbook.Failed(false, "step type %q cannot receive a child's result", def.Type)
	} else {
		req, failed := t.request(k, def, ss.Attempt, true)
		out = failed
		if out == nil {
			sig := &runbook.Signal{Kind: runbook.WaitChild, ChildID: p.ChildID, ChildStatus: p.Status, ChildOutput: p.Output, ChildError: p.Error}
			var err error
			out, err = handler.HandleSignal(req, waitState(ss), sig)
			if err != nil {
				out = runbook.Failed(false, "%s", err.Error())
			}
		}
	}
	if out == nil {
		out = runbook.Failed(false, "child execution %s ended %s", p.ChildID, p.Status)
	}
	t.outcome(k, def, ss.Attempt, out, 0)
	t.advance()
}

// startChildExecution creates the execution a sub-runbook step asked for.
func (e *Engine) startChildExecution(task *runbook.Task) error {
	var cs childStart
	if err := json.Unmarshal(task.Payload, &cs); err != nil {
		return fmt.Errorf("decode start task: %w", err)
	}
	startTask := runbook.TaskRef{ExecutionID: cs.ChildID, Key: keyStart}
	_, err := e.createExecution(e.ctx, createSpec{
		id:         cs.ChildID,
		runbookID:  cs.RunbookID,
		version:    cs.RunbookVersion,
		input:      cs.Input,
		context:    cs.Context,
		actor:      cs.Context.InitiatedBy,
		parentID:   cs.ParentID,
		parentStep: cs.ParentStepID,
		parentIter: cs.ParentIter,
		depth:      cs.Depth,
		maxDepth:   cs.MaxDepth,
		deletes:    []runbook.TaskRef{startTask},
	})
	switch {
	case err == nil:
		return nil
	case runbook.ErrorCode(err) == runbook.ECONFLICT:
		// Created by an earlier delivery of this task.
		err = e.transition(e.ctx, cs.ChildID, func(t *txn) error {
			t.delTasks = append(t.delTasks, startTask)
			return nil
		})
		return err
	case isRefusal(err):
		// The child cannot start (unknown runbook, invalid input): the
		// parent step fails with the reason.
		k := stepKey{cs.ParentStepID, cs.ParentIter}
		perr := e.transition(e.ctx, cs.ParentID, func(t *txn) error {
			t.delTasks = append(t.delTasks, startTask)
			ss := t.s.instance(k)
			if t.s.Status.Terminal() || ss == nil || ss.Status != runbook.StepRunning || ss.ChildID != cs.ChildID {
				return nil
			}
			t.finishChild(k, ss, childPayload{ChildID: cs.ChildID, Status: runbook.ExecutionFailed,
				Error: "could not start: " + runbook.ErrorMessage(err)})
			return nil
		})
		return perr
	}
	return err
}

// cancelFromTask cancels an execution because its parent was cancelled.
func (e *Engine) cancelFromTask(task *runbook.Task) error {
	var p cancelPayload
	if err := json.Unmarshal(task.Payload, &p); err != nil {
		return fmt.Errorf("decode cancel task: %w", err)
	}
	err := e.transition(e.ctx, task.ExecutionID, func(t *txn) error {
		t.delTasks = append(t.delTasks, runbook.TaskRef{ExecutionID: task.ExecutionID, Key: task.Key})
		if !t.s.Status.Terminal() {
			t.cancelExecution(p.Actor, p.Reason)
		}
		return nil
	})
	if runbook.ErrorCode(err) == runbook.ENOTFOUND {
		return nil
	}
	return err
}
