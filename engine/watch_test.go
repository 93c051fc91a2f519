package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/clock"
	"github.com/runbookhq/runbook/engine"
)

// sharedRealTime configures the harness's engine as a node of a shared
// store on real time: nodes compare lease expiries, so they must share a
// clock.
func sharedRealTime(c *engine.Config) {
	c.ExclusiveStore = false
	c.Clock = clock.Real{}
}

// otherNode starts another node on the harness's shared store, with its
// own watch poll interval and no polling for tasks.
func otherNode(t *testing.T, h *harness, watchPoll time.Duration) *engine.Engine {
	t.Helper()
	return secondEngine(t, h, false, func(c *engine.Config) {
		c.PollInterval, c.WatchPollInterval = time.Hour, watchPoll
	})
}

// collect reads a watch until it closes and checks that the events come in
// order without holes, ending the execution.
func collect(t *testing.T, events <-chan runbook.Event, from int64, last runbook.EventType) {
	t.Helper()
	want := from + 1
	var got runbook.Event
	for ev := range events {
		if ev.Seq != want {
			t.Fatalf("event %d (%s) arrived when %d was expected", ev.Seq, ev.Type, want)
		}
		want++
		got = ev
	}
	if got.Type != last {
		t.Fatalf("the watch closed after %d %s, want it to end with %s", got.Seq, got.Type, last)
	}
}

// TestWatchOnAnotherNodeSeesEveryEvent watches, on one node, an execution
// that another node runs: the events committed there are read from the
// shared history.
func TestWatchOnAnotherNodeSeesEveryEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sharedRealTime)
	h.put(`
id: three
version: "1"
steps:
  - {id: a, type: call-service, config: {url: "STUB/json?n=1", method: POST}}
  - {id: b, type: call-service, dependsOn: [a], config: {url: "STUB/json?n=2", method: POST}}
  - {id: c, type: call-service, dependsOn: [b], config: {url: "STUB/json?n=3", method: POST}}
`)
	watcher := otherNode(t, h, 10*time.Millisecond)
	id := h.start("three", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := watcher.Watch(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	collect(t, events, 0, runbook.EventExecutionCompleted)
}

// TestWatchFillsTheGapBeforeAnEventCommittedHere watches on the node that
// cancels an execution another node ran so far: the events that node
// committed come before the cancellation, in order, even though this
// node's watch does not poll.
func TestWatchFillsTheGapBeforeAnEventCommittedHere(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sharedRealTime)
	h.put(heldRunbook)
	node := otherNode(t, h, time.Hour)
	id := h.start("held", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := node.Watch(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.waitStep(id, "slow", runbook.StepRunning)
	if err := node.Cancel(ctx, id, engine.OperationRequest{Actor: "alice", Reason: "contained by hand"}); err != nil {
		t.Fatal(err)
	}
	collect(t, events, 0, runbook.EventExecutionCancelled)
}

// TestCancelOnAnotherNodeInterruptsTheRunningAttempt cancels, on one node,
// an execution whose step runs on another: that node interrupts the
// attempt (its call is abandoned) within its attempt check interval, and
// keeps nothing of the execution in memory.
func TestCancelOnAnotherNodeInterruptsTheRunningAttempt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sharedRealTime, func(c *engine.Config) { c.AttemptCheckInterval = 20 * time.Millisecond })
	h.put(heldRunbook)
	other := otherNode(t, h, time.Hour)
	id := h.start("held", nil)
	h.gates.waitArrived(t, "slow")
	if err := other.Cancel(context.Background(), id, engine.OperationRequest{Actor: "alice", Reason: "false positive"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for engine.LiveActors(h.e) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the attempt cancelled on the other node still runs on this one")
		}
		time.Sleep(5 * time.Millisecond)
	}
	x, err := h.e.GetExecution(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != runbook.ExecutionCancelled || x.StepResults["last"] != nil && x.StepResults["last"].Status == runbook.StepCompleted {
		t.Fatalf("after the interruption: %s", describe(x))
	}
}
