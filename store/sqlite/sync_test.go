package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

// TestCommitFlushesTheWAL checks that every write returns only after a
// flush of the write-ahead log that began after it committed.
func TestCommitFlushesTheWAL(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	var flushes, writebacks atomic.Int64
	s.wal.flush = func(f *os.File) error {
		flushes.Add(1)
		return fdatasync(f)
	}
	s.wal.writeback = func(f *os.File) {
		writebacks.Add(1)
		startWriteback(f)
	}
	rec := &runbook.ExecutionRecord{ID: "01950000-0000-7000-8000-000000000001", RunbookID: "r", RunbookVersion: "1",
		TenantID: "t", Status: runbook.ExecutionRunning, Seq: 1}
	tx := &runbook.Transition{Create: true, Execution: rec, Events: []runbook.Event{{Seq: 1, Type: runbook.EventExecutionStarted}}}
	wait := s.CommitPipelined(t.Context(), []*runbook.Transition{tx})
	if got := flushes.Load(); got != 0 {
		t.Fatalf("the write phase flushed %d times; the flush belongs to wait", got)
	}
	if got := writebacks.Load(); got != 1 {
		t.Fatalf("the write phase started the writeback of the WAL %d times, want once, after its COMMIT", got)
	}
	if _, err := wait(); err != nil {
		t.Fatal(err)
	}
	if got := flushes.Load(); got != 1 {
		t.Fatalf("wait flushed %d times, want 1", got)
	}
	if _, err := s.ClaimTasks(t.Context(), "n", rec.CreatedAt, rec.CreatedAt, 1); err != nil {
		t.Fatal(err)
	}
	if got := flushes.Load(); got != 2 {
		t.Fatalf("after a claim: %d flushes, want 2 (every write is flushed)", got)
	}
}

// TestWALSyncerGroupsFlushes checks the group flush: waiters of writes
// committed before a flush began share it; a write committed while a
// flush runs gets a flush of its own after it.
func TestWALSyncerGroupsFlushes(t *testing.T) {
	t.Parallel()
	w := tempSyncer(t)
	entered := make(chan struct{}, 4)
	gate := make(chan struct{})
	var flushes atomic.Int64
	w.flush = func(*os.File) error {
		flushes.Add(1)
		entered <- struct{}{}
		<-gate
		return nil
	}
	waitAll := func(ns ...uint64) *sync.WaitGroup {
		var wg sync.WaitGroup
		for _, n := range ns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := w.wait(n); err != nil {
					t.Error(err)
				}
			}()
		}
		return &wg
	}

	// Two writes committed, then both wait: one flush covers both.
	first, second := w.committed(), w.committed()
	wg := waitAll(first, second)
	<-entered
	close(gate)
	wg.Wait()
	if got := flushes.Load(); got != 1 {
		t.Fatalf("%d flushes for two writes committed before the flush, want 1", got)
	}

	// A write committed while a flush runs is not covered by it.
	gate = make(chan struct{})
	third := w.committed()
	wg = waitAll(third)
	<-entered
	fourth := w.committed()
	wg2 := waitAll(fourth)
	gate <- struct{}{} // the flush of third ends
	wg.Wait()
	<-entered // fourth's own flush
	close(gate)
	wg2.Wait()
	if got := flushes.Load(); got != 3 {
		t.Fatalf("%d flushes, want 3: the write committed during a flush needs the next one", got)
	}
}

// TestWALSyncerFailureIsSticky checks that after a failed flush no write is
// acknowledged: the kernel may have dropped the pages it could not write.
func TestWALSyncerFailureIsSticky(t *testing.T) {
	t.Parallel()
	w := tempSyncer(t)
	broken := errors.New("disk gone")
	fail := true
	w.flush = func(*os.File) error {
		if fail {
			return broken
		}
		return nil
	}
	if err := w.wait(w.committed()); !errors.Is(err, broken) {
		t.Fatalf("wait after a failed flush = %v, want the flush error", err)
	}
	fail = false
	if err := w.wait(w.committed()); !errors.Is(err, broken) {
		t.Fatalf("a later write = %v, want the first flush error", err)
	}
	if err := w.failure(); !errors.Is(err, broken) {
		t.Fatalf("failure() = %v, want the flush error (the store's Ping reports it)", err)
	}
}

// TestWALSyncerFollowsANewFile checks that when SQLite has replaced the
// write-ahead log (deleted when its last connection closed, created anew),
// the new file is the one flushed.
func TestWALSyncerFollowsANewFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db-wal")
	w, err := newWALSyncer(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	var flushed *os.File
	w.flush = func(f *os.File) error { flushed = f; return nil }
	if err := w.wait(w.committed()); err != nil {
		t.Fatal(err)
	}
	old, _ := flushed.Stat()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := w.wait(w.committed()); err != nil {
		t.Fatal(err)
	}
	if now, _ := flushed.Stat(); !os.SameFile(now, old) {
		t.Fatal("with no file at the path, the old one should still be flushed")
	}
	if err := os.WriteFile(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.wait(w.committed()); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if now, _ := flushed.Stat(); !os.SameFile(now, info) {
		t.Fatal("the new write-ahead log was not the one flushed")
	}
}

// TestAFailedFlushFailsTheStore checks that once a flush failed, commits
// are refused and Ping reports it, so that the service stops being ready.
func TestAFailedFlushFailsTheStore(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("EIO")
	s.wal.flush = func(*os.File) error { return broken }
	rec := &runbook.ExecutionRecord{ID: "01950000-0000-7000-8000-000000000001", RunbookID: "r", RunbookVersion: "1",
		TenantID: "t", Status: runbook.ExecutionRunning, Seq: 1}
	tx := &runbook.Transition{Create: true, Execution: rec, Events: []runbook.Event{{Seq: 1, Type: runbook.EventExecutionStarted}}}
	if _, err := s.Commit(t.Context(), []*runbook.Transition{tx}); !errors.Is(err, broken) {
		t.Fatalf("commit after a failed flush = %v, want the flush error", err)
	}
	if err := s.Ping(t.Context()); !errors.Is(err, broken) {
		t.Fatalf("Ping after a failed flush = %v, want the flush error", err)
	}
}

// TestReadsShowOnlyDurableWrites checks that a read returns only once the
// writes it may have seen are on disk: another connection sees a commit
// before the store has flushed the write-ahead log, and a crash then
// would take back what the read showed.
func TestReadsShowOnlyDurableWrites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTemp(t)
	rb := &runbook.RunbookRecord{ID: "r", Version: "1", Definition: []byte(`{}`), Hash: "h"}
	if _, err := s.PutRunbook(ctx, rb); err != nil {
		t.Fatal(err)
	}
	var flushes atomic.Int64
	s.wal.flush = func(f *os.File) error {
		flushes.Add(1)
		return fdatasync(f)
	}
	reads := []struct {
		name string
		read func(id string) error
	}{
		{"GetExecution", func(id string) error { _, _, err := s.GetExecution(ctx, id); return err }},
		{"FindExecutionByKey", func(id string) error { _, err := s.FindExecutionByKey(ctx, "t", "key-"+id); return err }},
		{"ListExecutions", func(string) error { _, err := s.ListExecutions(ctx, runbook.ExecutionFilter{}); return err }},
		{"ListHistory", func(id string) error { _, err := s.ListHistory(ctx, id, 0, 0); return err }},
		{"ListWaits", func(string) error { _, err := s.ListWaits(ctx, runbook.WaitFilter{}); return err }},
		{"GetRunbook", func(string) error { _, err := s.GetRunbook(ctx, "r", "1"); return err }},
		{"ListRunbookVersions", func(string) error { _, err := s.ListRunbookVersions(ctx, "r"); return err }},
		{"ListRunbooks", func(string) error { _, err := s.ListRunbooks(ctx); return err }},
	}
	for i, r := range reads {
		id := fmt.Sprintf("01950000-0000-7000-8000-%012d", i+1)
		rec := &runbook.ExecutionRecord{ID: id, RunbookID: "r", RunbookVersion: "1", TenantID: "t", IdempotencyKey: "key-" + id,
			Status: runbook.ExecutionAwaitingApproval, Seq: 1}
		tx := &runbook.Transition{Create: true, Execution: rec, Events: []runbook.Event{{Seq: 1, Type: runbook.EventExecutionStarted}},
			PutWaits: []*runbook.Wait{{ExecutionID: id, StepID: "a", Kind: runbook.WaitApproval, TenantID: "t", Approvers: []string{"u"}}}}
		before := flushes.Load()
		wait := s.CommitPipelined(ctx, []*runbook.Transition{tx}) // written, visible, not flushed
		if err := r.read(id); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if got := flushes.Load() - before; got != 1 {
			t.Fatalf("%s after a commit not yet flushed: %d flushes before it returned, want 1", r.name, got)
		}
		if res, err := wait(); err != nil || res[0].Err != nil {
			t.Fatalf("commit: %v, %v", res, err)
		}
		if got := flushes.Load() - before; got != 1 {
			t.Fatalf("%s: the commit flushed again (%d flushes): the read's flush covered it", r.name, got)
		}
		if err := r.read(id); err != nil || flushes.Load()-before != 1 {
			t.Fatalf("%s with nothing to flush: err %v, %d flushes, want none more", r.name, err, flushes.Load()-before-1)
		}
	}
}

// TestWaitVisibleWaitsForCommitUnderWay checks the window between a COMMIT
// becoming visible to readers and the store numbering it: a read that
// ends in that window waits for the COMMIT to finish and then for a flush
// that covers it.
func TestWaitVisibleWaitsForCommitUnderWay(t *testing.T) {
	t.Parallel()
	w := tempSyncer(t)
	var committedCalled, flushAfterCommit atomic.Bool
	w.flush = func(*os.File) error {
		flushAfterCommit.Store(committedCalled.Load())
		return nil
	}
	w.beginCommit() // a COMMIT under way: readers may see it already
	done := make(chan error, 1)
	go func() { done <- w.waitVisible() }()
	deadline := time.Now().Add(10 * time.Second)
	for !goroutineWaitsIn("waitVisible") {
		select {
		case err := <-done:
			t.Fatalf("waitVisible returned (%v) while a COMMIT it may have seen was under way", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("waitVisible neither returned nor waited")
		}
		runtime.Gosched()
	}
	committedCalled.Store(true)
	w.committed()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !flushAfterCommit.Load() {
		t.Fatal("waitVisible returned without a flush begun after the COMMIT")
	}
}

// goroutineWaitsIn reports whether a goroutine is blocked on a condition
// variable inside fn.
func goroutineWaitsIn(fn string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "sync.(*Cond).Wait") && strings.Contains(g, fn) {
			return true
		}
	}
	return false
}

// tempSyncer returns a walSyncer of a new file, closed when the test ends.
func tempSyncer(t *testing.T) *walSyncer {
	t.Helper()
	w, err := newWALSyncer(filepath.Join(t.TempDir(), "wal"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.close() })
	return w
}
