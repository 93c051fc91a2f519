package engine

import (
	"fmt"
	"strings"

	"github.com/runbookhq/runbook"
)

// advance starts every step that may start, skips those that never will,
// and ends the execution when nothing is left to do. It loops until a pass
// changes nothing, because a skip or an inline step can unblock others.
func (t *txn) advance() {
	for i := 0; i < 100_000 && t.err == nil; i++ {
		if !t.pass() {
			return
		}
	}
}

// pass does one round of scheduling and reports whether it emitted events.
func (t *txn) pass() bool {
	s := t.s
	if s.Status.Terminal() {
		return false
	}
	n := len(t.events)
	failed, allDone, running := t.survey()
	if failed != nil {
		t.failExecution(failed)
		return len(t.events) > n
	}
	if allDone {
		t.emit(runbook.Event{Type: runbook.EventExecutionCompleted, Output: t.executionOutput()})
		return true
	}
	if s.Status == runbook.ExecutionPaused {
		return false
	}
	for _, def := range t.p.order {
		if t.err != nil {
			break
		}
		ss := s.Steps[def.ID]
		switch {
		case ss == nil || ss.Status == runbook.StepPending:
			ready, skip := t.readiness(def)
			switch {
			case skip != "":
				t.emit(runbook.Event{Type: runbook.EventStepSkipped, StepID: def.ID, Reason: skip})
			case ready && running < s.MaxConcurrent:
				attempt := 1
				if ss != nil {
					attempt = ss.Attempt + 1
				}
				if t.guard(def, attempt) {
					t.start(stepKey{def.ID, 0}, attempt)
					running++
				}
			}
		case ss.Status == runbook.StepRetrying && ss.RetryDue && running < s.MaxConcurrent:
			t.start(stepKey{def.ID, 0}, ss.Attempt+1)
			running++
		case ss.Status == runbook.StepRunning && ss.Loop != nil:
			t.advanceLoop(def, ss)
		}
	}
	return len(t.events) > n
}

// survey reads the steps' states once for a pass: the first step, in
// definition order, that failed (as firstFailed), whether every step
// completed or was skipped, and how many steps hold a concurrency slot
// (attempts in progress and running loops; parked steps and child runs
// hold none).
func (t *txn) survey() (failed *stepState, allDone bool, running int) {
	allDone = true
	for _, def := range t.p.order {
		ss := t.s.Steps[def.ID]
		if ss == nil {
			allDone = false
			continue
		}
		switch ss.Status {
		case runbook.StepCompleted, runbook.StepSkipped:
		case runbook.StepFailed:
			allDone = false
			if failed == nil {
				failed = ss
			}
		case runbook.StepRunning:
			allDone = false
			if ss.ChildID == "" {
				running++
			}
		default:
			allDone = false
		}
	}
	return failed, allDone, running
}

// firstFailed returns the first step, in definition order, that failed.
func (t *txn) firstFailed() *stepState {
	for _, def := range t.p.order {
		if ss := t.s.Steps[def.ID]; ss != nil && ss.Status == runbook.StepFailed {
			return ss
		}
	}
	return nil
}

// failExecution winds down an execution with a failed step: nothing new
// starts, waits and pending retries are cancelled, attempts in flight
// finish, and once none is left the execution fails with the step's error.
func (t *txn) failExecution(failed *stepState) {
	reason := fmt.Sprintf("execution is failing: step %q failed", failed.StepID)
	inFlight := false
	for _, def := range t.p.order {
		ss := t.s.Steps[def.ID]
		if ss == nil || ss.Status.Done() {
			continue
		}
		if ss.Loop != nil {
			busy := false
			for _, it := range ss.Loop.Iterations {
				switch {
				case it.Status == runbook.StepRunning && !t.inline(stepKey{def.ID, it.Iteration}):
					busy = true
				case !it.Status.Done() && it.Status != runbook.StepPending:
					t.emit(runbook.Event{Type: runbook.EventStepCancelled, StepID: def.ID, Iteration: it.Iteration, Reason: reason})
				}
			}
			if busy {
				inFlight = true
				continue
			}
			t.emit(runbook.Event{Type: runbook.EventStepCancelled, StepID: def.ID, Reason: reason})
			continue
		}
		switch {
		case ss.Status == runbook.StepPending:
		case ss.Status == runbook.StepRunning && ss.ChildID == "" && !t.inline(stepKey{def.ID, 0}):
			inFlight = true
		default:
			t.emit(runbook.Event{Type: runbook.EventStepCancelled, StepID: def.ID, Reason: reason})
		}
	}
	if !inFlight {
		msg := fmt.Sprintf("step %q failed", failed.StepID)
		if failed.Error != nil && failed.Error.Message != "" {
			msg += ": " + failed.Error.Message
		}
		t.emit(runbook.Event{Type: runbook.EventExecutionFailed, Error: &runbook.StepError{Message: msg, Code: failed.errorCode()}})
	}
}

func (ss *stepState) errorCode() string {
	if ss.Error != nil {
		return ss.Error.Code
	}
	return ""
}

// executionOutput is the output of a completed execution: every completed
// step's output by step id.
func (t *txn) executionOutput() map[string]any {
	out := map[string]any{}
	for _, def := range t.p.order {
		if ss := t.s.Steps[def.ID]; ss != nil && ss.Status == runbook.StepCompleted {
			out[def.ID] = ss.Output
		}
	}
	return out
}

// readiness decides whether a pending step can run now (ready), will never
// run (skip holds the reason) or must wait.
func (t *txn) readiness(def *runbook.Step) (ready bool, skip string) {
	deps := t.p.deps[def.ID]
	satisfied, skipped, waiting := 0, "", false
	for _, d := range deps {
		ds := t.s.Steps[d.id]
		status := runbook.StepPending
		if ds != nil {
			status = ds.Status
		}
		switch status {
		case runbook.StepCompleted:
			if d.branch && contains(ds.NotTaken, def.ID) {
				if skipped == "" {
					skipped = fmt.Sprintf("branch not taken: conditional %q chose another branch", d.id)
				}
				continue
			}
			satisfied++
		case runbook.StepSkipped:
			if skipped == "" {
				skipped = fmt.Sprintf("dependency %q was skipped", d.id)
			}
		default:
			waiting = true
		}
	}
	if def.Trigger == runbook.TriggerAny {
		switch {
		case waiting:
			return false, ""
		case satisfied > 0 || len(deps) == 0:
			return true, ""
		}
		return false, "every dependency was skipped (" + skipped + ")"
	}
	if skipped != "" {
		return false, skipped
	}
	return !waiting, ""
}

// guard evaluates a step's condition; a step whose condition does not hold
// is skipped, one whose condition cannot be evaluated fails. It reports
// whether the step may start.
func (t *txn) guard(def *runbook.Step, attempt int) bool {
	if def.Condition == nil {
		return true
	}
	res, err := t.e.eval.Condition(def.Condition, t.scope(stepKey{def.ID, 0}))
	if err != nil {
		t.emit(runbook.Event{Type: runbook.EventStepStarted, StepID: def.ID, Attempt: attempt})
		t.emit(runbook.Event{Type: runbook.EventStepFailed, StepID: def.ID, Attempt: attempt,
			Error: &runbook.StepError{Message: "evaluate condition: " + err.Error(), Code: runbook.ErrorCode(err)}})
		return false
	}
	if !res.Result {
		t.emit(runbook.Event{Type: runbook.EventStepSkipped, StepID: def.ID, Reason: "condition not met: " + describeCondition(def.Condition, res.Left, res.Found)})
		return false
	}
	return true
}

func describeCondition(c *runbook.Condition, left any, found bool) string {
	if c.Expression != "" {
		return c.Expression
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", c.Field, c.Operator)
	if c.Operator != runbook.OpExists {
		fmt.Fprintf(&b, " %v", c.Value)
	}
	if found {
		fmt.Fprintf(&b, " (value: %v)", left)
	} else {
		b.WriteString(" (field absent)")
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// advanceLoop starts the iterations a running loop may start and ends the
// loop when its iterations are done.
func (t *txn) advanceLoop(def *runbook.Step, ss *stepState) {
	l := ss.Loop
	for _, it := range l.Iterations {
		if it.Status == runbook.StepFailed {
			reason := fmt.Sprintf("iteration %d of loop %q failed", it.Iteration, def.ID)
			for _, other := range l.Iterations {
				if !other.Status.Done() {
					t.emit(runbook.Event{Type: runbook.EventStepCancelled, StepID: def.ID, Iteration: other.Iteration, Reason: reason})
				}
			}
			msg := fmt.Sprintf("iteration %d failed", it.Iteration)
			if it.Error != nil {
				msg += ": " + it.Error.Message
			}
			t.emit(runbook.Event{Type: runbook.EventStepFailed, StepID: def.ID, Attempt: ss.Attempt,
				Error: &runbook.StepError{Message: msg, Code: it.errorCode()}})
			return
		}
	}
	if t.s.Status == runbook.ExecutionPaused {
		return
	}
	active := 0
	for _, it := range l.Iterations {
		switch {
		case it.Status == runbook.StepPending && active < l.Concurrency:
			t.start(stepKey{def.ID, it.Iteration}, it.Attempt+1)
			active++
		case it.Status == runbook.StepRetrying && it.RetryDue && active < l.Concurrency:
			t.start(stepKey{def.ID, it.Iteration}, it.Attempt+1)
			active++
		case !it.Status.Done():
			active++
		}
	}
	if t.err != nil {
		return
	}
	if l.While {
		if active > 0 {
			return
		}
		n := len(l.Iterations)
		if n > 0 {
			if n >= l.MaxIterations {
				t.completeLoop(def, ss, fmt.Sprintf("stopped at maxIterations %d", l.MaxIterations))
				return
			}
			cond, err := t.e.eval.Condition(t.loopCondition(def), t.scope(stepKey{def.ID, n + 1}))
			if err != nil {
				t.emit(runbook.Event{Type: runbook.EventStepFailed, StepID: def.ID, Attempt: ss.Attempt,
					Error: &runbook.StepError{Message: "evaluate continueWhile: " + err.Error(), Code: runbook.ErrorCode(err)}})
				return
			}
			if !cond.Result {
				t.completeLoop(def, ss, fmt.Sprintf("continueWhile no longer holds after %d iterations", n))
				return
			}
		}
		t.start(stepKey{def.ID, n + 1}, 1)
		return
	}
	for active < l.Concurrency && len(l.Iterations) < len(l.Items) && t.err == nil {
		t.start(stepKey{def.ID, len(l.Iterations) + 1}, 1)
		active++
	}
	if active == 0 && len(l.Iterations) >= len(l.Items) {
		t.completeLoop(def, ss, "")
	}
}

func (t *txn) loopCondition(def *runbook.Step) *runbook.Condition {
	if def.LoopConfig != nil && def.LoopConfig.ContinueWhile != nil {
		return def.LoopConfig.ContinueWhile
	}
	return &runbook.Condition{Expression: "false"}
}

func (t *txn) completeLoop(def *runbook.Step, ss *stepState, reason string) {
	l := ss.Loop
	items := l.Items
	if items == nil {
		items = []any{}
	}
	out := map[string]any{"iterations": len(l.Iterations), "items": items, "results": l.results()}
	t.emit(runbook.Event{Type: runbook.EventStepCompleted, StepID: def.ID, Attempt: ss.Attempt, Output: out, Reason: reason})
}
