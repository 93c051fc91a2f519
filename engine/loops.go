package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/runbookhq/runbook"
)

// The loops each node runs beside its workers (started by Start, stopped
// by Close): claiming due tasks, renewing leases, listening for task
// notifications, checking attempts against the shared store and keeping
// the clock to the store's.

// pollLoop claims due tasks (timers, and work other processes left behind)
// whenever the earliest one is due, when nudged, and at least every
// PollInterval.
func (e *Engine) pollLoop() {
	for {
		select {
		case <-e.closed:
			return
		default:
		}
		claimed, err := e.claimDue()
		if err != nil && e.ctx.Err() == nil {
			e.log.Error("claim due tasks", "err", err)
		}
		if claimed == claimBatch {
			continue
		}
		wait := e.cfg.PollInterval
		if next, ok, err := e.store.NextDue(e.ctx); err == nil && ok {
			if d := next.Sub(e.now()); d < wait {
				wait = d
			}
		}
		if wait <= 0 {
			if claimed > 0 {
				continue
			}
			// Due, but not claimable by us: our own tasks whose lease
			// renewal is late. Do not spin.
			wait = e.cfg.PollInterval
		}
		timer := e.clock.NewTimer(wait)
		select {
		case <-timer.C():
		case <-e.wake:
		case <-e.closed:
			timer.Stop()
			return
		}
		timer.Stop()
	}
}

const claimBatch = 256

// notifyLoop wakes the poller whenever the store says that another process
// made tasks claimable (runbook.TaskNotifier). While the notifications are
// lost (a dropped connection), the poller's interval covers the gap; the
// loop listens again after one.
func (e *Engine) notifyLoop(n runbook.TaskNotifier) {
	for {
		err := n.WatchTasks(e.ctx, e.nudge)
		if e.ctx.Err() != nil || runbook.ErrorCode(err) == runbook.EUNSUPPORTED {
			return
		}
		e.log.Warn("task notifications lost; polling until they are back", "err", err, "retry_in", e.cfg.PollInterval)
		if !e.sleep(e.cfg.PollInterval) {
			return
		}
	}
}

// clockLoop keeps the default clock of a shared store to the store's clock
// (see Config.Clock), measuring it every ClockSyncInterval.
func (e *Engine) clockLoop() {
	for e.sleep(e.cfg.ClockSyncInterval) {
		if !e.syncClock() {
			return
		}
	}
}

// syncClock measures the engine's clock against the store's once and logs
// a correction; it returns false when the store turns out to have no
// clock (a wrapper of one that has none).
func (e *Engine) syncClock() bool {
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	offset, changed, err := e.synced.Sync(ctx)
	switch {
	case runbook.ErrorCode(err) == runbook.EUNSUPPORTED:
		return false
	case err != nil:
		if e.ctx.Err() == nil {
			e.log.Warn("could not compare this node's clock with the store's; keeping the last correction",
				"err", err, "offset", offset, "retry_in", e.cfg.ClockSyncInterval)
		}
	case changed:
		level := slog.LevelInfo
		if offset >= time.Second || offset <= -time.Second {
			level = slog.LevelWarn
		}
		e.log.Log(ctx, level, "this node's clock differs from the store's: leases, timers and event times follow the store's",
			"offset", offset)
	}
	return true
}

// checkLoop runs on a shared store, where another node may cancel an
// execution, time it out or take over a step while an attempt of it runs
// here. Every AttemptCheckInterval it reads the stored state of each
// execution with an attempt running here for longer than that, and
// interrupts the attempts whose step no longer runs that attempt.
func (e *Engine) checkLoop() {
	every := e.cfg.AttemptCheckInterval
	for e.sleep(every) {
		for _, id := range e.actors.runningSince(e.now().Add(-every)) {
			e.checkAttempts(id)
		}
	}
}

// checkAttempts interrupts the attempts of an execution running here that
// its stored state no longer wants.
func (e *Engine) checkAttempts(id string) {
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	// Under the execution's lock, so that no transition of this node
	// starts an attempt between the read and the decision.
	a := e.actors.acquire(id)
	defer e.actors.release(id, a)
	s, err := e.readState(ctx, id)
	if err != nil {
		if e.ctx.Err() == nil {
			e.log.Warn("check attempts in flight", "execution", id, "err", err)
		}
		return
	}
	if a.state != nil && a.state.Seq < s.Seq {
		a.state = nil // another node moved the execution: reload it
	}
	for k, at := range a.inflight {
		ss := s.instance(k)
		if s.Status.Terminal() || ss == nil || ss.Status != runbook.StepRunning || ss.Attempt != at.attempt {
			at.cancel(errInterrupted)
		}
	}
}

func (e *Engine) claimDue() (int, error) {
	now := e.now()
	tasks, err := e.store.ClaimTasks(e.ctx, e.node, now, now.Add(e.cfg.LeaseDuration), claimBatch)
	if err != nil {
		return 0, err
	}
	for _, task := range tasks {
		if e.runningHere(task) {
			continue
		}
		e.dispatch(task, false, nil)
	}
	return len(tasks), nil
}

// sleep waits for d on the engine's clock and reports false instead when
// the engine closes first.
func (e *Engine) sleep(d time.Duration) bool {
	timer := e.clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C():
		return true
	case <-e.closed:
		return false
	}
}

// renewLoop extends this node's leases so that long attempts keep them.
func (e *Engine) renewLoop() {
	every := e.cfg.LeaseDuration / 3
	for e.sleep(every) {
		ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		if err := e.store.ExtendLeases(ctx, e.node, e.now().Add(e.cfg.LeaseDuration)); err != nil && e.ctx.Err() == nil {
			e.log.Error("extend leases", "err", err)
		}
		cancel()
	}
}
