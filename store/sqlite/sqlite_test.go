package sqlite_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/sqlite"
	"github.com/runbookhq/runbook/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openStore opens a store on the file at path, closed when tb ends.
func openStore(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	return storetest.Open(tb, sqlite.Open, path)
}

func newStore(tb testing.TB) runbook.Store {
	return openStore(tb, filepath.Join(tb.TempDir(), "runbook.db"))
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) runbook.Store { return newStore(t) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) runbook.Store { return newStore(b) })
}

func wantError(t *testing.T, err error, code, message string) {
	t.Helper()
	if runbook.ErrorCode(err) != code || runbook.ErrorMessage(err) != message {
		t.Fatalf("error = %v (code %q), want code %q and message %q", err, runbook.ErrorCode(err), code, message)
	}
}

func at(sec int) time.Time {
	return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(sec) * time.Second)
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "runbook.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rb := &runbook.RunbookRecord{ID: "triage", Version: "1.0.0", Definition: []byte(`{}`), Hash: "h", CreatedAt: at(0)}
	if _, err := s.PutRunbook(ctx, rb); err != nil {
		t.Fatal(err)
	}
	rec := &runbook.ExecutionRecord{ID: "e1", RunbookID: "triage", RunbookVersion: "1.0.0", TenantID: "t", IdempotencyKey: "k",
		Status: runbook.ExecutionAwaitingApproval, Seq: 1, CreatedAt: at(1), UpdatedAt: at(1), Data: []byte(`{"x":1}`)}
	tx := &runbook.Transition{
		Create: true, Execution: rec,
		Events:   []runbook.Event{{Seq: 1, Type: runbook.EventExecutionStarted, Time: at(1)}},
		Steps:    []*runbook.StepRecord{{StepID: "a", Status: runbook.StepAwaitingApproval}},
		PutTasks: []*runbook.Task{{ExecutionID: "e1", Key: "timeout", Kind: runbook.TaskTimer, DueAt: at(2)}},
		PutWaits: []*runbook.Wait{{ExecutionID: "e1", StepID: "a", Kind: runbook.WaitApproval, TenantID: "t", Approvers: []string{"alice"}, CreatedAt: at(1)}},
	}
	if res, err := s.Commit(ctx, []*runbook.Transition{tx}); err != nil || res[0].Err != nil {
		t.Fatalf("Commit = %v, %v", res, err)
	}
	if got, err := s.ClaimTasks(ctx, "old-process", at(3), at(100), 10); err != nil || len(got) != 1 {
		t.Fatalf("ClaimTasks = %v, %v", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path)
	if _, err := s.GetRunbook(ctx, "triage", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	got, steps, err := s.GetExecution(ctx, "e1")
	if err != nil || got.Status != runbook.ExecutionAwaitingApproval || string(got.Data) != `{"x":1}` || len(steps) != 1 {
		t.Fatalf("GetExecution after reopen = %+v, %v, %v", got, steps, err)
	}
	if id, err := s.FindExecutionByKey(ctx, "t", "k"); err != nil || id != "e1" {
		t.Fatalf("FindExecutionByKey after reopen = %q, %v", id, err)
	}
	if h, err := s.ListHistory(ctx, "e1", 0, 0); err != nil || len(h) != 1 {
		t.Fatalf("ListHistory after reopen = %v, %v", h, err)
	}
	if w, err := s.ListWaits(ctx, runbook.WaitFilter{Approver: "alice"}); err != nil || len(w) != 1 {
		t.Fatalf("ListWaits after reopen = %v, %v", w, err)
	}
	// The lease survived too; a new process releases it to recover the task.
	if got, err := s.ClaimTasks(ctx, "new-process", at(4), at(100), 10); err != nil || len(got) != 0 {
		t.Fatalf("ClaimTasks under the old lease = %v, %v", got, err)
	}
	if err := s.ReleaseLeases(ctx, ""); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimTasks(ctx, "new-process", at(4), at(100), 10)
	if err != nil || len(claimed) != 1 || claimed[0].Deliveries != 2 {
		t.Fatalf("ClaimTasks after release = %v, %v", claimed, err)
	}
}

func TestOpenLocked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "runbook.db")
	first, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.Open(t.Context(), path)
	wantError(t, err, runbook.EUNAVAILABLE, "database "+path+" is in use by another runbook process")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openStore(t, path)
}

func TestOpenRecordsMigrations(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "runbook.db")
	for range 2 { // the second open finds the schema current
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db := rawDB(t, path)
	rows, err := db.QueryContext(t.Context(), `SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s", v, name))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 init 2 append_order]" {
		t.Fatalf("schema_migrations = %q, want [1 init 2 append_order]", got)
	}
	var mode string
	if err := db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v, want wal", mode, err)
	}
}

// rawDB opens the database file without the store, for inspection.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenNewerSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "runbook.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if _, err := db.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for range 2 { // a failed open releases the lock: the second gets the same answer
		_, err = sqlite.Open(t.Context(), path)
		wantError(t, err, runbook.EUNSUPPORTED,
			"database "+path+" has schema version 999, newer than this runbook binary knows (2): upgrade runbook")
	}
}

func TestOpenNotADatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, bytes.Repeat([]byte("this is not a database\n"), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, err := sqlite.Open(t.Context(), path)
		wantError(t, err, runbook.EINVALID, "open store "+path+": file is not a database")
	}
}

func TestOpenInvalidPath(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		_, err := sqlite.Open(t.Context(), path)
		if runbook.ErrorCode(err) != runbook.EINVALID {
			t.Errorf("Open(%q) = %v, want an %s error", path, err, runbook.EINVALID)
		}
	}
	_, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "missing-dir", "runbook.db"))
	if err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}

func TestOpenPathWithSpecialCharacters(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a dir?with#odd%chars")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "run?book.db")
	s := openStore(t, path)
	if _, err := s.PutRunbook(t.Context(), &runbook.RunbookRecord{ID: "a", Version: "1", Hash: "h", CreatedAt: at(0)}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + ".lock"} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("the store did not create %s: %v", p, err)
		}
	}
}

func TestCloseReleasesLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "runbook.db")
	for range 3 {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
}

// TestRolledBackCommitLeavesNoTrace checks that a batch the database
// rejects writes nothing, and that what the store learned inside it (the
// row number of an execution it inserted) is not used afterwards: the
// number is given to the next execution, and the history of the rejected
// one, created again, must not land on that one's rows.
func TestRolledBackCommitLeavesNoTrace(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "runbook.db")
	s := openStore(t, path)
	// A trigger stands for a failure of the disk or of the database in the
	// middle of a batch.
	raw := rawDB(t, path)
	if _, err := raw.ExecContext(ctx, `CREATE TRIGGER refuse_boom BEFORE INSERT ON history
WHEN NEW.step_id = 'boom' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`); err != nil {
		t.Fatal(err)
	}
	execution := func(id string) *runbook.ExecutionRecord {
		return &runbook.ExecutionRecord{ID: id, RunbookID: "triage", RunbookVersion: "1", TenantID: "t",
			Status: runbook.ExecutionRunning, Seq: 1, CreatedAt: at(0), UpdatedAt: at(0), Data: []byte(`{"id":"` + id + `"}`)}
	}
	create := func(id, stepID string) *runbook.Transition {
		return &runbook.Transition{Create: true, Execution: execution(id),
			Events: []runbook.Event{{Seq: 1, Type: runbook.EventExecutionStarted, Time: at(0), StepID: stepID}}}
	}
	next := func(id string, seq int64) *runbook.Transition {
		rec := execution(id)
		rec.Seq = seq
		return &runbook.Transition{Execution: rec, ExpectedSeq: seq - 1,
			Events: []runbook.Event{{Seq: seq, Type: runbook.EventStepCompleted, Time: at(int(seq)), StepID: id + "-step"}}}
	}

	if _, err := s.Commit(ctx, []*runbook.Transition{create("a", ""), next("a", 2), create("b", "boom")}); err == nil {
		t.Fatal("Commit of a batch the database refuses succeeded")
	}
	for _, id := range []string{"a", "b"} {
		if _, _, err := s.GetExecution(ctx, id); runbook.ErrorCode(err) != runbook.ENOTFOUND {
			t.Fatalf("GetExecution(%s) after a rolled-back batch: %v, want ENOTFOUND", id, err)
		}
	}
	// c takes the row number a had in the rolled-back batch.
	if res, err := s.Commit(ctx, []*runbook.Transition{create("c", "")}); err != nil || res[0].Err != nil {
		t.Fatalf("Commit(create c) = %v, %v", res, err)
	}
	if res, err := s.Commit(ctx, []*runbook.Transition{next("a", 2)}); err != nil || runbook.ErrorCode(res[0].Err) != runbook.ENOTFOUND {
		t.Fatalf("Commit(next of a, never created) = %v, %v; want ENOTFOUND", res, err)
	}
	if res, err := s.Commit(ctx, []*runbook.Transition{create("a", ""), next("c", 2)}); err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("Commit(create a, next c) = %v, %v", res, err)
	}
	if res, err := s.Commit(ctx, []*runbook.Transition{next("a", 2)}); err != nil || res[0].Err != nil {
		t.Fatalf("Commit(next a) = %v, %v", res, err)
	}
	for _, id := range []string{"a", "c"} {
		events, err := s.ListHistory(ctx, id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[0].Type != runbook.EventExecutionStarted || events[1].StepID != id+"-step" {
			t.Fatalf("history of %s = %+v, want its start and its own step", id, events)
		}
	}
}

// TestDeferredRowsAfterReopen checks that a store opened again, whose
// write path has not seen the execution yet, takes its seq from the
// history: after transitions with DeferRows, the execution row is older.
func TestDeferredRowsAfterReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "runbook.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rec := &runbook.ExecutionRecord{ID: "e1", RunbookID: "triage", RunbookVersion: "1.0.0", TenantID: "t",
		Status: runbook.ExecutionRunning, Seq: 1, CreatedAt: at(1), UpdatedAt: at(1), Data: []byte(`{"seq":1}`)}
	deferred := *rec
	deferred.Seq, deferred.UpdatedAt, deferred.Data = 3, at(3), nil
	txs := []*runbook.Transition{
		{Create: true, Execution: rec, Events: []runbook.Event{{Seq: 1, Type: runbook.EventExecutionStarted, Time: at(1)}}},
		{Execution: &deferred, ExpectedSeq: 1, DeferRows: true, Events: []runbook.Event{
			{Seq: 2, Type: runbook.EventStepStarted, StepID: "a", Time: at(2)},
			{Seq: 3, Type: runbook.EventStepCompleted, StepID: "a", Time: at(3)}}},
	}
	if res, err := s.Commit(ctx, txs); err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("Commit = %v, %v", res, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path)
	got, _, err := s.GetExecution(ctx, "e1")
	if err != nil || got.Seq != 3 || !got.UpdatedAt.Equal(at(3)) || string(got.Data) != `{"seq":1}` {
		t.Fatalf("GetExecution after reopen = %+v, %v; want seq 3, updated at(3), the first document", got, err)
	}
	next := deferred
	next.Seq, next.UpdatedAt, next.Status, next.Data = 4, at(4), runbook.ExecutionCompleted, []byte(`{"seq":4}`)
	stale, written := next, next
	stale.Seq = 2
	res, err := s.Commit(ctx, []*runbook.Transition{
		{Execution: &stale, ExpectedSeq: 1, Events: []runbook.Event{{Seq: 2, Type: runbook.EventExecutionCompleted, Time: at(4)}}},
		{Execution: &written, ExpectedSeq: 3, Events: []runbook.Event{{Seq: 4, Type: runbook.EventExecutionCompleted, Time: at(4)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, res[0].Err, runbook.ESTALE, "execution e1 changed concurrently (expected seq 1, found 3)")
	if res[1].Err != nil {
		t.Fatalf("transition on the last event after reopen: %v", res[1].Err)
	}
	got, _, err = s.GetExecution(ctx, "e1")
	if err != nil || got.Seq != 4 || got.Status != runbook.ExecutionCompleted || string(got.Data) != `{"seq":4}` {
		t.Fatalf("GetExecution after the written transition = %+v, %v", got, err)
	}
}
