package engine_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
)

// clockedStore is a shared store with a clock of its own (a database
// server's, runbook.ClockReference), which reads the test's clock. It
// reports how many tasks each ClaimTasks of its engine returned.
type clockedStore struct {
	runbook.Store
	clock  runbook.Clock
	claims chan int
}

func newClockedStore(s runbook.Store, c runbook.Clock) *clockedStore {
	return &clockedStore{Store: s, clock: c, claims: make(chan int, 1024)}
}

func (c *clockedStore) ReferenceTime(context.Context) (time.Time, error) { return c.clock.Now(), nil }

func (c *clockedStore) ClaimTasks(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*runbook.Task, error) {
	tasks, err := c.Store.ClaimTasks(ctx, owner, now, leaseUntil, limit)
	select {
	case c.claims <- len(tasks):
	default:
	}
	return tasks, err
}

// An engine whose machine's clock is months ahead of the database's does
// not take the lease another node holds for one of the database's minutes
// as expired: its clock keeps to the database's. Without that, it would
// claim the step in flight and run it a second time.
func TestAnEngineWithAClockAheadLeavesAnotherNodesLeaseAlone(t *testing.T) {
	t.Parallel()
	// The harness's engine is the node whose clock agrees with the
	// database's: the fake clock, months before the wall clock.
	h := newHarness(t, func(c *engine.Config) {
		c.ExclusiveStore = false
		c.LeaseDuration = time.Minute
	})
	h.put(heldRunbook)
	id := h.start("held", nil)
	h.gates.waitArrived(t, "slow")

	store := newClockedStore(h.store, h.clock)
	secondEngine(t, h, false, func(c *engine.Config) {
		c.Store, c.Clock, c.PollInterval = store, nil, 10*time.Millisecond
	})
	for i := range 5 {
		select {
		case n := <-store.claims:
			if n != 0 {
				t.Fatalf("claim %d of the engine with the clock ahead took %d tasks: the lease of another node's attempt", i+1, n)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the second engine does not look for due tasks")
		}
	}
	h.gates.open("slow")
	if x := h.waitStatus(id, runbook.ExecutionCompleted); x.StepResults["slow"].AttemptNumber != 1 {
		t.Fatalf("step slow: %d attempts, want 1", x.StepResults["slow"].AttemptNumber)
	}
	if _, arrived := h.gates.chans("slow"); len(arrived) != 0 {
		t.Fatal("step slow was called a second time")
	}
}

// What an engine on a shared store records happens at the database's
// time, whatever its machine's clock says, and it says so in its log.
func TestAnEngineOnASharedStoreKeepsToTheStoresClock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *engine.Config) { c.ExclusiveStore = false })
	h.put(heldRunbook)
	var logs syncBuffer
	synced := secondEngine(t, h, false, func(c *engine.Config) {
		c.Store, c.Clock = newClockedStore(h.store, h.clock), nil
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if got, want := synced.ClockOffset(), time.Until(epoch); got > want+time.Minute || got < want-time.Minute {
		t.Fatalf("ClockOffset = %v, want about %v", got, want)
	}
	if got := h.e.ClockOffset(); got != 0 {
		t.Fatalf("the offset of an engine given its clock: %v, want 0", got)
	}
	h.gates.open("slow")
	id, _, err := synced.StartExecution(t.Context(), engine.StartRequest{RunbookID: "held", Actor: "analyst-1"})
	if err != nil {
		t.Fatal(err)
	}
	if x := waitOn(t, synced, id); x.Status != runbook.ExecutionCompleted {
		t.Fatalf("execution: %s", describe(x))
	}
	events, err := synced.History(t.Context(), id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Time.Before(epoch) || ev.Time.After(epoch.Add(time.Minute)) {
			t.Fatalf("event %d (%s) at %v, want the database's time, %v and a few moments", ev.Seq, ev.Type, ev.Time, epoch)
		}
	}
	if got := logs.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "clock differs from the store's") {
		t.Fatalf("no warning about the clock in the log:\n%s", got)
	}
}
