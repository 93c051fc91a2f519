package engine_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/clock"
	"github.com/runbookhq/runbook/engine"
)

// failingStore fails the commits of transitions that complete a step, as
// told: the whole batch (the store unreachable) or only that transition
// (a refusal), a number of times.
type failingStore struct {
	runbook.Store
	step string

	mu       sync.Mutex
	batchErr error // the store's own failure
	refusal  error // a refusal of the transition
	ackLost  bool  // batchErr comes after the batch was committed
	left     int   // failures still to come
	failed   int
}

func (f *failingStore) completes(tx *runbook.Transition) bool {
	for _, ev := range tx.Events {
		if ev.Type == runbook.EventStepCompleted && ev.StepID == f.step {
			return true
		}
	}
	return false
}

func (f *failingStore) Commit(ctx context.Context, txs []*runbook.Transition) ([]runbook.CommitResult, error) {
	f.mu.Lock()
	var hit int = -1
	if f.left > 0 {
		for i, tx := range txs {
			if f.completes(tx) {
				hit = i
				f.left--
				f.failed++
				break
			}
		}
	}
	batchErr, refusal, ackLost := f.batchErr, f.refusal, f.ackLost
	f.mu.Unlock()
	if hit < 0 {
		return f.Store.Commit(ctx, txs)
	}
	if batchErr != nil {
		if ackLost {
			if _, err := f.Store.Commit(ctx, txs); err != nil {
				return nil, err
			}
		}
		return nil, batchErr
	}
	results, err := f.Store.Commit(ctx, append(txs[:hit:hit], txs[hit+1:]...))
	if err != nil {
		return nil, err
	}
	results = append(results[:hit:hit], append([]runbook.CommitResult{{Err: refusal}}, results[hit:]...)...)
	return results, nil
}

func (f *failingStore) failures() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// failureCounter is an engine.Observer that counts the failed tasks.
type failureCounter struct {
	engine.Observer
	mu     sync.Mutex
	failed map[runbook.TaskKind]int
}

func (f *failureCounter) TaskFailed(kind runbook.TaskKind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed[kind]++
}

func (f *failureCounter) count(kind runbook.TaskKind) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed[kind]
}

// runOnFailingStore runs heldRunbook, its gate open, to completion on an
// engine on the real clock whose store is f, and returns the harness, the
// execution and the engine's log.
func runOnFailingStore(t *testing.T, f *failingStore, poll time.Duration) (*harness, *runbook.Execution, *syncBuffer, *failureCounter) {
	t.Helper()
	logs := &syncBuffer{}
	failures := &failureCounter{Observer: engine.NopObserver, failed: map[runbook.TaskKind]int{}}
	h := newHarness(t, func(c *engine.Config) {
		f.Store = c.Store
		c.Store, c.Clock, c.PollInterval = f, clock.Real{}, poll
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
		c.Observer = failures
	})
	h.put(heldRunbook)
	h.gates.open("slow")
	return h, h.waitStatus(h.start("held", nil), runbook.ExecutionCompleted), logs, failures
}

// When the store cannot take the outcome of a step (its connection lost,
// the database restarting), the outcome is recorded once it can: the step
// does not run again.
func TestAnOutcomeTheStoreFailedToTakeIsRecordedWithoutRunningTheStepAgain(t *testing.T) {
	t.Parallel()
	store := &failingStore{step: "first", left: 3,
		batchErr: &runbook.Error{Code: runbook.EUNAVAILABLE, Message: "connection lost"}}
	h, x, logs, failures := runOnFailingStore(t, store, 200*time.Millisecond)
	id := x.ID
	if store.failures() != 3 {
		t.Fatalf("%d commits failed, want 3", store.failures())
	}
	if n := len(h.stub.Requests("/json")); n != 2 {
		t.Fatalf("%d calls to the steps first and last, want 2: the first step ran again", n)
	}
	if got := x.StepResults["first"]; got.Status != runbook.StepCompleted || got.AttemptNumber != 1 {
		t.Fatalf("step first: %s, attempt %d", got.Status, got.AttemptNumber)
	}
	if !strings.Contains(logs.String(), "could not record the outcome of a step; trying again") {
		t.Fatalf("no warning in the log:\n%s", logs.String())
	}
	if n := failures.count(runbook.TaskRun); n != 0 {
		t.Fatalf("%d failed run tasks reported: the attempt's task did not fail, its outcome waited", n)
	}
	h.checkFold(id)
}

// A task that failed for another reason is tried again by the node that
// holds it: its lease, renewed with the node's others, never expires for
// another node to take it, and on a store only this process uses there is
// no lease at all.
func TestATaskThatFailedIsTriedAgain(t *testing.T) {
	t.Parallel()
	store := &failingStore{step: "first", left: 1,
		refusal: &runbook.Error{Code: runbook.ECONFLICT, Message: "refused"}}
	h, x, logs, failures := runOnFailingStore(t, store, 50*time.Millisecond)
	id := x.ID
	if store.failures() != 1 {
		t.Fatalf("%d commits refused, want 1", store.failures())
	}
	// The outcome was refused: the attempt ran again, with its key.
	if got := x.StepResults["first"]; got.Status != runbook.StepCompleted {
		t.Fatalf("step first: %s", got.Status)
	}
	if n := h.stub.Calls("/json", id+":first"); n != 2 {
		t.Fatalf("step first called %d times with its idempotency key, want 2", n)
	}
	if !strings.Contains(logs.String(), "task failed; trying it again") {
		t.Fatalf("no error in the log:\n%s", logs.String())
	}
	if n := failures.count(runbook.TaskRun); n != 1 {
		t.Fatalf("%d failed run tasks reported, want 1", n)
	}
	h.checkFold(id)
}

// An outcome the store refuses for good (text it cannot keep, say) fails
// its step with the reason: running the step again would give the same.
func TestAnOutcomeTheStoreRefusesFailsItsStep(t *testing.T) {
	t.Parallel()
	store := &failingStore{step: "first", left: 1,
		refusal: &runbook.Error{Code: runbook.EINVALID, Message: "text with a NUL character cannot be stored"}}
	h := newHarness(t, func(c *engine.Config) {
		store.Store = c.Store
		c.Store = store
	})
	h.put(heldRunbook)
	id := h.start("held", nil)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	got := x.StepResults["first"]
	if got.Status != runbook.StepFailed || !strings.Contains(got.Error, "the step's outcome could not be stored: text with a NUL character cannot be stored") {
		t.Fatalf("step first: %s: %q", got.Status, got.Error)
	}
	if n := h.stub.Calls("/json", id+":first"); n != 1 {
		t.Fatalf("step first called %d times, want 1", n)
	}
	h.checkFold(id)
}

// A commit whose answer was lost (the connection dropped after the
// database committed) leaves tasks leased to this node that nothing would
// run: the step after the one whose outcome it recorded runs all the same,
// and the outcome is not recorded twice.
func TestTheTasksOfACommitWhoseAnswerWasLostRun(t *testing.T) {
	t.Parallel()
	store := &failingStore{step: "first", left: 1, ackLost: true,
		batchErr: &runbook.Error{Code: runbook.EUNAVAILABLE, Message: "connection lost after COMMIT"}}
	h, x, logs, _ := runOnFailingStore(t, store, 50*time.Millisecond)
	if n := h.stub.Calls("/json", x.ID+":first"); n != 1 {
		t.Fatalf("step first called %d times, want 1", n)
	}
	if got := x.StepResults["slow"]; got.Status != runbook.StepCompleted || got.AttemptNumber != 1 {
		t.Fatalf("step slow: %s, attempt %d", got.Status, got.AttemptNumber)
	}
	completed := 0
	for _, ev := range h.history(x.ID) {
		if ev.Type == runbook.EventStepCompleted && ev.StepID == "first" {
			completed++
		}
	}
	if completed != 1 {
		t.Fatalf("step first completed %d times in the history", completed)
	}
	if !strings.Contains(logs.String(), "its tasks are checked again") {
		t.Fatalf("no warning in the log:\n%s", logs.String())
	}
	h.checkFold(x.ID)
}
