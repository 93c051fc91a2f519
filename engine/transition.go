package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/runbookhq/runbook"
)

// maxStaleRetries bounds how often a transition is recomputed after another
// process moved the same execution first.
const maxStaleRetries = 8

// load returns the state of the execution held by a locked actor, reading
// it from the store when it is not cached.
func (e *Engine) load(ctx context.Context, a *actor, id string) (*execState, *plan, error) {
	if a.state == nil {
		st, err := e.readState(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		a.state = st
	}
	p, err := e.runbooks.get(ctx, a.state.RunbookID, a.state.RunbookVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("load runbook of execution %s: %w", id, err)
	}
	return a.state, p, nil
}

// transition runs fn on the execution's state under its actor lock and
// commits what fn emitted. fn returns a user error (conflict, not found...)
// to refuse the operation; nothing is then written. When another process
// moved the execution first (ESTALE), the state is reloaded and fn runs
// again.
//
// fn must not keep t: it is recycled once the transition is over.
func (e *Engine) transition(ctx context.Context, id string, fn func(t *txn) error) error {
	for try := 0; ; try++ {
		err := e.transitionOnce(ctx, id, fn)
		if runbook.ErrorCode(err) == runbook.ESTALE && try < maxStaleRetries {
			continue
		}
		return err
	}
}

func (e *Engine) transitionOnce(ctx context.Context, id string, fn func(t *txn) error) error {
	a := e.actors.acquire(id)
	st, p, err := e.load(ctx, a, id)
	if err != nil {
		e.actors.release(id, a)
		return err
	}
	t := e.newTxn(ctx, st, p)
	defer e.releaseTxn(t)
	t.a = a
	if err := fn(t); err != nil {
		if len(t.events) > 0 {
			a.state = nil
		}
		e.actors.release(id, a)
		return err
	}
	if err := e.commit(ctx, a, t); err != nil {
		e.actors.release(id, a)
		return err
	}
	e.actors.release(id, a)
	e.afterCommit(t)
	return nil
}

// commit writes a transition built under a's lock. On failure the cached
// state, already changed in place, is dropped.
func (e *Engine) commit(ctx context.Context, a *actor, t *txn) error {
	if t.err != nil {
		a.state = nil
		return t.err
	}
	if t.empty() {
		return nil
	}
	tr, err := t.transition()
	// The store has copied what it keeps once Commit returns.
	defer func() { e.arenas.put(t.arena); t.arena = nil }()
	if err != nil {
		a.state = nil
		return err
	}
	results, err := e.commits.commit(ctx, tr)
	if err != nil && storeFailed(err) && len(t.local) > 0 {
		// The store failed during the commit: it may have made it, with
		// the tasks it leased to this node for running here, before the
		// answer was lost. Nothing would run those.
		e.recheckLater(slices.Clone(t.local), err)
	}
	if err == nil {
		err = results[0].Err
	}
	if err != nil {
		a.state = nil
		return err
	}
	t.inbox = results[0].Inbox
	// Measurements read the state, so they are taken under the lock.
	e.observe(t)
	// Keep the actor (and its cached state) while its tasks run here, and
	// make prepared attempts interruptible from now on.
	for _, task := range t.local {
		if task.ExecutionID != t.s.ID {
			continue
		}
		a.count.Add(1)
		if prep := t.preps[task.Key]; prep != nil && task.Kind == runbook.TaskRun {
			prep.ctx, prep.cancel = context.WithCancelCause(e.ctx)
			a.inflight[stepKey{task.StepID, task.Iteration}] = &inflightAttempt{cancel: prep.cancel, attempt: task.Attempt, since: t.now}
		}
	}
	return nil
}

// afterCommit does what a committed transition asks of this node: run its
// local tasks, interrupt cancelled attempts, deliver events that arrived
// before a wait, tell watchers. It runs without the execution's lock, so it
// must not read the state (t.s) beyond its id.
func (e *Engine) afterCommit(t *txn) {
	for _, task := range t.local {
		var prep *attemptPrep
		if task.ExecutionID == t.s.ID {
			prep = t.preps[task.Key]
		}
		if h := t.handOff; h != nil && h.task == nil && prep != nil && task.Kind == runbook.TaskRun {
			*h = continuation{task: task, prep: prep} // counted on the actor by commit, as held
			continue
		}
		e.dispatch(task, task.ExecutionID == t.s.ID, prep)
	}
	if len(t.interrupts) > 0 {
		e.interrupt(t.s.ID, t.interrupts)
	}
	if len(t.putTasks) > len(t.local) {
		e.nudge() // a new timer may be due before the poller's next wake-up
	}
	for i, events := range t.inbox {
		if len(events) > 0 {
			// The goroutine outlives t, which is recycled: it takes copies.
			id, k, ev := t.s.ID, t.matchFor[i], events[0]
			if !e.running.begin() {
				continue
			}
			go func() {
				defer e.running.end()
				if _, err := e.deliverEvent(e.ctx, id, k, ev); err != nil && !isRefusal(err) {
					e.log.Error("deliver stored event", "execution", id, "step", k.step, "event", ev.ID, "err", err)
				}
			}()
		}
	}
	e.watchers.publish(t.s.ID, t.events)
}

// isRefusal reports whether err is an expected refusal rather than a fault.
func isRefusal(err error) bool {
	switch runbook.ErrorCode(err) {
	case runbook.ECONFLICT, runbook.ENOTFOUND, runbook.EFORBIDDEN, runbook.EINVALID:
		return true
	}
	return errors.Is(err, context.Canceled)
}

// attemptRef names one attempt of an instance.
type attemptRef struct {
	key     stepKey
	attempt int
}

// interrupt cancels attempts of the execution running on this node. It
// runs after the commit, without the execution's lock: by then the next
// attempt of the same step may already run (a retry due at once), and it
// must not be the one interrupted.
func (e *Engine) interrupt(id string, refs []attemptRef) {
	a := e.actors.acquire(id)
	for _, r := range refs {
		if at := a.inflight[r.key]; at != nil && at.attempt == r.attempt {
			at.cancel(errInterrupted)
		}
	}
	e.actors.release(id, a)
}

// errInterrupted is the cancellation cause of an attempt whose step was
// cancelled or timed out by the execution.
var errInterrupted = errors.New("attempt interrupted by the execution")
