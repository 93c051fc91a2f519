package engine_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/clock"
	"github.com/runbookhq/runbook/engine"
)

// notifier is a shared store that tells its engine when other processes
// made tasks claimable (runbook.TaskNotifier); the test plays the other
// processes and calls the wake function each WatchTasks hands it.
type notifier struct {
	runbook.Store
	listening chan func() // one wake function per call of WatchTasks
	failFirst bool        // the first call loses its connection at once
	calls     atomic.Int32
}

func newNotifier(s runbook.Store, failFirst bool) *notifier {
	return &notifier{Store: s, listening: make(chan func(), 8), failFirst: failFirst}
}

func (n *notifier) WatchTasks(ctx context.Context, wake func()) error {
	call := n.calls.Add(1)
	n.listening <- wake
	if n.failFirst && call == 1 {
		return errors.New("connection lost")
	}
	<-ctx.Done()
	return ctx.Err()
}

// listened waits for the next call of WatchTasks and returns its wake.
func (n *notifier) listened(t *testing.T) func() {
	t.Helper()
	select {
	case wake := <-n.listening:
		return wake
	case <-time.After(10 * time.Second):
		t.Fatal("the engine does not listen for task notifications")
		return nil
	}
}

// An idle engine takes the work another process handed back as soon as
// the store tells it: its poll (an hour, on a clock that does not move)
// would never come.
func TestANotificationWakesAnIdleEngine(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *engine.Config) {
		c.ExclusiveStore = false
		c.ShutdownGrace = 10 * time.Millisecond
	})
	h.put(heldRunbook)
	id := h.start("held", nil)
	h.gates.waitArrived(t, "slow")

	n := newNotifier(h.store, false)
	idle := secondEngine(t, h, false, func(c *engine.Config) {
		c.Store, c.Clock, c.PollInterval = n, h.clock, time.Hour
	})
	wake := n.listened(t)
	// The first process stops: its attempt is interrupted and its lease
	// given back, which a shared store announces.
	if err := h.e.Close(); err != nil {
		t.Fatal(err)
	}
	h.gates.open("slow")
	wake()
	if x := waitOn(t, idle, id); x.Status != runbook.ExecutionCompleted {
		t.Fatalf("after the notification: %s", describe(x))
	}
}

// When the notifications are lost (a dropped connection), the engine warns
// and listens again after a poll interval.
func TestAnEngineListensAgainAfterLosingNotifications(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	var n *notifier
	newHarness(t, func(c *engine.Config) {
		n = newNotifier(c.Store, true)
		c.Store, c.Clock, c.PollInterval = n, clock.Real{}, 10*time.Millisecond
		c.ExclusiveStore = false
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	n.listened(t)
	n.listened(t) // again, after the first call lost its connection
	if got := logs.String(); !strings.Contains(got, "task notifications lost") || !strings.Contains(got, "connection lost") {
		t.Fatalf("no warning about the lost notifications in the log:\n%s", got)
	}
}

// syncBuffer is a bytes.Buffer safe for the engine's goroutines to log to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
