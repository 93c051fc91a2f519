package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/postgres"
	"github.com/runbookhq/runbook/store/storetest"
)

// defaultURI is the test database when RUNBOOK_TEST_POSTGRES is not set:
// the local server CI starts (.ci/run).
const defaultURI = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testURI is the database the tests use; each test gets a schema of its
// own in it.
var testURI string

func TestMain(m *testing.M) {
	testURI = os.Getenv("RUNBOOK_TEST_POSTGRES")
	if testURI == "" {
		testURI = defaultURI
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	conn, err := pgx.Connect(ctx, testURI)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	cancel()
	if err != nil {
		// Never skip: a store that was not tested must not look tested.
		fmt.Fprintf(os.Stderr, "the PostgreSQL store tests need a server: %s does not answer: %v\n"+
			"start one (.ci/run does) or set RUNBOOK_TEST_POSTGRES to a postgres:// URL\n", postgres.Redact(testURI), err)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m)
}

// schemaURI creates an empty schema for tb, dropped when it ends, and
// returns the URL of a store in it.
func schemaURI(tb testing.TB) string {
	tb.Helper()
	uri, drop, err := postgres.TempSchema(tb.Context(), testURI, "runbook_test_")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := drop(ctx); err != nil {
			tb.Error(err)
		}
	})
	return uri
}

// openStore opens a store on uri, closed when tb ends.
func openStore(tb testing.TB, uri string) *postgres.Store {
	tb.Helper()
	return storetest.Open(tb, postgres.Open, uri)
}

func newStore(tb testing.TB) runbook.Store {
	return openStore(tb, schemaURI(tb))
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) runbook.Store { return newStore(t) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) runbook.Store { return newStore(b) })
}

func at(sec int) time.Time {
	return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(sec) * time.Second)
}

func execID(n int) string {
	return fmt.Sprintf("01950000-0000-7000-8000-%012d", n)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if runbook.ErrorCode(err) != code {
		t.Fatalf("error = %v (code %q), want code %q", err, runbook.ErrorCode(err), code)
	}
}

// newExecution returns the creation of an execution with one event and
// the given tasks.
func newExecution(id string, tasks ...*runbook.Task) *runbook.Transition {
	return &runbook.Transition{
		Create: true,
		Execution: &runbook.ExecutionRecord{ID: id, RunbookID: "triage", RunbookVersion: "1", TenantID: "t",
			Status: runbook.ExecutionRunning, Seq: 1, CreatedAt: at(0), UpdatedAt: at(0)},
		Events:   []runbook.Event{{Seq: 1, Type: runbook.EventExecutionStarted, Time: at(0)}},
		PutTasks: tasks,
	}
}

func mustCommit(t *testing.T, s runbook.Store, txs ...*runbook.Transition) {
	t.Helper()
	res, err := s.Commit(t.Context(), txs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("transition %d refused: %v", i, r.Err)
		}
	}
}

// Two stores on one schema stand for two runbook processes sharing a
// database: claiming at once, they never get the same task, and every
// task is claimed.
func TestTwoStoresClaimDisjointTasks(t *testing.T) {
	t.Parallel()
	uri := schemaURI(t)
	a, b := openStore(t, uri), openStore(t, uri)
	const executions, perExecution = 20, 25
	for i := range executions {
		var tasks []*runbook.Task
		for k := range perExecution {
			tasks = append(tasks, &runbook.Task{ExecutionID: execID(i), Key: fmt.Sprintf("k%02d", k), Kind: runbook.TaskRun, DueAt: at(k % 7)})
		}
		mustCommit(t, a, newExecution(execID(i), tasks...))
	}

	var mu sync.Mutex
	claimed := map[string]string{}
	var wg sync.WaitGroup
	for w, s := range []*postgres.Store{a, b, a, b} {
		owner := fmt.Sprintf("node-%d", w)
		wg.Go(func() {
			for range executions * perExecution { // bounded: a double claim must not loop forever
				got, err := s.ClaimTasks(t.Context(), owner, at(100), at(1000), 9)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, tk := range got {
					key := tk.ExecutionID + "/" + tk.Key
					if prev, ok := claimed[key]; ok {
						t.Errorf("task %s claimed by %s and %s", key, prev, owner)
					}
					claimed[key] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != executions*perExecution {
		t.Fatalf("%d tasks claimed, want %d", len(claimed), executions*perExecution)
	}
	// Leases are honoured across stores, and expire for everyone.
	if got, err := b.ClaimTasks(t.Context(), "late", at(999), at(2000), 10); err != nil || len(got) != 0 {
		t.Fatalf("claim under live leases = %d tasks, %v", len(got), err)
	}
	got, err := b.ClaimTasks(t.Context(), "late", at(1000), at(2000), 1000)
	if err != nil || len(got) != executions*perExecution {
		t.Fatalf("claim after the leases expired = %d tasks, %v", len(got), err)
	}
}

// Two stores committing transitions of the same executions at once: for
// each expected seq exactly one wins, the other is refused as stale, and
// the histories have no gap.
func TestTwoStoresCommitOptimistically(t *testing.T) {
	t.Parallel()
	uri := schemaURI(t)
	stores := []*postgres.Store{openStore(t, uri), openStore(t, uri)}
	const executions, rounds = 8, 15
	for i := range executions {
		mustCommit(t, stores[0], newExecution(execID(i)))
	}
	var wg sync.WaitGroup
	wins := make([][]int, len(stores))
	for n, s := range stores {
		wg.Go(func() {
			for range rounds {
				var txs []*runbook.Transition
				for i := range executions {
					rec, _, err := s.GetExecution(t.Context(), execID(i))
					if err != nil {
						t.Error(err)
						return
					}
					next := *rec
					next.Seq++
					txs = append(txs, &runbook.Transition{Execution: &next, ExpectedSeq: rec.Seq,
						Events: []runbook.Event{{Seq: next.Seq, Type: runbook.EventStepCompleted, Time: at(int(next.Seq)), Actor: fmt.Sprint(n)}},
						Steps:  []*runbook.StepRecord{{StepID: "s", Status: runbook.StepCompleted, Data: []byte(fmt.Sprint(n))}}})
				}
				res, err := s.Commit(t.Context(), txs)
				if err != nil {
					t.Error(err)
					return
				}
				for _, r := range res {
					switch runbook.ErrorCode(r.Err) {
					case "":
						wins[n] = append(wins[n], 1)
					case runbook.ESTALE:
					default:
						t.Errorf("unexpected refusal: %v", r.Err)
					}
				}
			}
		})
	}
	wg.Wait()
	total := len(wins[0]) + len(wins[1])
	seqs := 0
	for i := range executions {
		rec, _, err := stores[1].GetExecution(t.Context(), execID(i))
		if err != nil {
			t.Fatal(err)
		}
		history, err := stores[1].ListHistory(t.Context(), execID(i), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(history)) != rec.Seq {
			t.Fatalf("execution %d: seq %d but %d events", i, rec.Seq, len(history))
		}
		for j, ev := range history {
			if ev.Seq != int64(j+1) {
				t.Fatalf("execution %d: event %d has seq %d", i, j, ev.Seq)
			}
		}
		seqs += int(rec.Seq) - 1
	}
	if seqs != total {
		t.Fatalf("%d transitions accepted but the executions moved %d times", total, seqs)
	}
}

// A step that starts waiting for an event while the event is delivered
// gets it one way or the other: in the commit's inbox match or among the
// waits DeliverEvent returns.
func TestEventAndWaitRacing(t *testing.T) {
	t.Parallel()
	uri := schemaURI(t)
	a, b := openStore(t, uri), openStore(t, uri)
	const rounds = 40
	for i := range rounds {
		mustCommit(t, a, newExecution(execID(i)))
	}
	for i := range rounds {
		corr := fmt.Sprintf("c%d", i)
		park := &runbook.Transition{
			Execution: &runbook.ExecutionRecord{ID: execID(i), RunbookID: "triage", RunbookVersion: "1", TenantID: "t",
				Status: runbook.ExecutionRunning, Seq: 2, CreatedAt: at(0), UpdatedAt: at(1)},
			ExpectedSeq: 1,
			Events:      []runbook.Event{{Seq: 2, Type: runbook.EventEventAwaited, Time: at(1), StepID: "w"}},
			PutWaits: []*runbook.Wait{{ExecutionID: execID(i), StepID: "w", Kind: runbook.WaitEvent, TenantID: "t",
				EventType: "alert", CorrelationID: corr, CreatedAt: at(1), Since: at(0)}},
			MatchInbox: []*runbook.InboxQuery{{TenantID: "t", Type: "alert", CorrelationID: corr, Since: at(0)}},
		}
		var inbox []*runbook.InboxEvent
		var waits []*runbook.Wait
		var wg sync.WaitGroup
		wg.Go(func() {
			res, err := a.Commit(t.Context(), []*runbook.Transition{park})
			if err != nil || res[0].Err != nil {
				t.Errorf("park: %v %v", res, err)
				return
			}
			inbox = res[0].Inbox[0]
		})
		wg.Go(func() {
			var err error
			waits, err = b.DeliverEvent(t.Context(), &runbook.InboxEvent{ID: "ev-" + corr, TenantID: "t", Type: "alert", CorrelationID: corr, ReceivedAt: at(2)})
			if err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if len(inbox)+len(waits) == 0 {
			t.Fatalf("round %d: the wait and the event missed each other", i)
		}
	}
}

// Processes that start together migrate the schema once between them.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	t.Parallel()
	uri := schemaURI(t)
	const n = 6
	errs := make([]error, n)
	stores := make([]*postgres.Store, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(t.Context(), uri) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	var versions []string
	rows, err := rawConn(t, uri).Query(t.Context(), `SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, fmt.Sprintf("%d %s", v, name))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(versions) != "[1 init]" {
		t.Fatalf("schema_migrations = %q, want [1 init]", versions)
	}
	mustCommit(t, stores[n-1], newExecution(execID(1)))
	if _, _, err := stores[0].GetExecution(t.Context(), execID(1)); err != nil {
		t.Fatal(err)
	}
}

// rawConn connects to uri without the store, for inspection.
func rawConn(t *testing.T, uri string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestOpenNewerSchema(t *testing.T) {
	t.Parallel()
	uri := schemaURI(t)
	openStore(t, uri).Close()
	if _, err := rawConn(t, uri).Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the migration lock was released: the second open gets the same answer
		_, err := postgres.Open(t.Context(), uri)
		wantCode(t, err, runbook.EUNSUPPORTED)
		if msg := runbook.ErrorMessage(err); !strings.Contains(msg, "has schema version 999, newer than this runbook binary knows (1): upgrade runbook") {
			t.Fatalf("message %q", msg)
		}
	}
}

func TestOpenMissingSchema(t *testing.T) {
	t.Parallel()
	uri, err := postgres.WithSearchPath(testURI, "runbook_no_such_schema")
	if err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(t.Context(), uri)
	wantCode(t, err, runbook.EINVALID)
	if msg := runbook.ErrorMessage(err); !strings.Contains(msg, "no schema of the search_path (runbook_no_such_schema) exists") {
		t.Fatalf("message %q", msg)
	}
}

func TestOpenInvalidURI(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		uri, want string
	}{
		{"", "want a URL such as postgres://"},
		{"sqlite:./runbook.db", "want a URL such as postgres://"},
		{"host=127.0.0.1 user=postgres", "want a URL such as postgres://"},
		{"postgres://u:secret@127.0.0.1:5432/test?sslmode=sometimes", "sslmode is invalid"},
		{"postgres://u:secret@127.0.0.1:5432/test?pool_max_conns=none", "pool_max_conns"},
		{"postgres://u:secret@127.0.0.1:notaport/test", "want a URL such as postgres://"},
	} {
		_, err := postgres.Open(t.Context(), c.uri)
		if runbook.ErrorCode(err) != runbook.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q) = %v, want an %s error containing %q", c.uri, err, runbook.EINVALID, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q): the error shows the password: %v", c.uri, err)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	// Port 1 on the loopback interface: nothing listens there.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://runbook:secret@127.0.0.1:1/test?sslmode=disable&connect_timeout=5")
	wantCode(t, err, runbook.EUNAVAILABLE)
	if msg := err.Error(); !strings.Contains(msg, "cannot connect") || strings.Contains(msg, "secret") {
		t.Fatalf("message %q", msg)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://u:secret@db:5432/x?sslmode=disable":   "postgres://u:***@db:5432/x?sslmode=disable",
		"postgres://u@db/x":                               "postgres://u@db/x",
		"postgres://db/x?password=secret&sslmode=require": "postgres://db/x?password=***&sslmode=require",
		"postgresql://a%40b:p%3Aw@db/x":                   "postgresql://a%40b:***@db/x",
		"postgres://u:pw@db:notaport/x":                   "postgres://***@db:notaport/x",
		"postgres://u@db:notaport/x?password=secret&a=b":  "postgres://***@db:notaport/x?password=***&a=b",
		"postgres://u@db/x#password=secret":               "postgres://u@db/x#***",
	} {
		if got := postgres.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// Strings PostgreSQL cannot keep in text columns refuse their transition
// only, not the batch it is in.
func TestUnstorableTextRefusesOneTransition(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	bad := newExecution(execID(1))
	bad.PutWaits = []*runbook.Wait{{ExecutionID: execID(1), StepID: "w", Kind: runbook.WaitEvent, TenantID: "t", CorrelationID: "a\x00b"}}
	good := newExecution(execID(2))
	res, err := s.Commit(t.Context(), []*runbook.Transition{bad, good})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, res[0].Err, runbook.EINVALID)
	if res[1].Err != nil {
		t.Fatal(res[1].Err)
	}
	_, err = s.DeliverEvent(t.Context(), &runbook.InboxEvent{ID: "e\x00", TenantID: "t"})
	wantCode(t, err, runbook.EINVALID)
	_, _, err = s.GetExecution(t.Context(), "\x00")
	wantCode(t, err, runbook.ENOTFOUND)
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	s, err := postgres.Open(t.Context(), schemaURI(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Ping(t.Context()); !errors.Is(err, err) || runbook.ErrorCode(err) != runbook.EUNAVAILABLE {
		t.Fatalf("Ping after Close = %v", err)
	}
}

func TestWithSearchPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://u@db/x": "postgres://u@db/x?search_path=runbook",
		"postgres://u@db/x?sslmode=disable&search_path=old": "postgres://u@db/x?sslmode=disable&search_path=runbook",
		// Spaces stay %20: the driver reads "+" as a plus sign.
		"postgres://u@db/x?options=-c%20statement_timeout%3D5s": "postgres://u@db/x?options=-c%20statement_timeout%3D5s&search_path=runbook",
	} {
		got, err := postgres.WithSearchPath(in, "runbook")
		if err != nil || got != want {
			t.Errorf("WithSearchPath(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	if _, err := postgres.WithSearchPath("sqlite:x.db", "runbook"); runbook.ErrorCode(err) != runbook.EINVALID {
		t.Errorf("WithSearchPath of a file path = %v, want an %s error", err, runbook.EINVALID)
	}
}

// TestUndecodableRowsDoNotHoldConnections reads, many times over, a row
// that scans but does not decode: each read fails on its own, and the pool
// (two connections) is not used up by rows left open.
func TestUndecodableRowsDoNotHoldConnections(t *testing.T) {
	t.Parallel()
	uri := schemaURI(t)
	s := openStore(t, uri+"&pool_max_conns=2")
	ctx := t.Context()
	rec := &runbook.ExecutionRecord{ID: "01950000-0000-7000-8000-000000000001", RunbookID: "r", RunbookVersion: "1",
		TenantID: "t", Status: runbook.ExecutionAwaitingApproval, Seq: 1, CreatedAt: at(0), UpdatedAt: at(0)}
	tx := &runbook.Transition{Create: true, Execution: rec, Events: []runbook.Event{{Seq: 1, Type: runbook.EventExecutionStarted, Time: at(0)}},
		PutWaits: []*runbook.Wait{{ExecutionID: rec.ID, StepID: "ask", Kind: runbook.WaitApproval, TenantID: "t", Approvers: []string{"alice"}, CreatedAt: at(0)}}}
	if res, err := s.Commit(ctx, []*runbook.Transition{tx}); err != nil || res[0].Err != nil {
		t.Fatalf("commit: %v %v", err, res)
	}
	conn, err := pgx.Connect(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `UPDATE waits SET approvers = '{"not": "a list"}'`); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := s.ListWaits(rctx, runbook.WaitFilter{})
		cancel()
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("read %d: %v, want a decoding error (not a wait for a connection)", i, err)
		}
	}
}
