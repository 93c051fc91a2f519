package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/migration"
)

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables := func() string {
		t.Helper()
		rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		return strings.Join(names, " ")
	}
	const all = "executions history inbox runbooks schema_migrations steps tasks waits"

	if err := migrate(ctx, db, "m.db", ms); err != nil {
		t.Fatal(err)
	}
	if got := tables(); got != all {
		t.Fatalf("tables after up = %q, want %q", got, all)
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if _, err := db.ExecContext(ctx, ms[i].Down); err != nil {
			t.Fatalf("down %d: %v", ms[i].Version, err)
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = ?`, ms[i].Version); err != nil {
			t.Fatal(err)
		}
	}
	if got := tables(); got != "schema_migrations" {
		t.Fatalf("tables after down = %q, want only schema_migrations", got)
	}
	if err := migrate(ctx, db, "m.db", ms); err != nil {
		t.Fatalf("up after down: %v", err)
	}
	if got := tables(); got != all {
		t.Fatalf("tables after up again = %q, want %q", got, all)
	}
}

func TestConnectionSettings(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTemp(t)
	for _, c := range []struct {
		db interface {
			QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
		}
		pragma string
		want   string
	}{
		{s.wc.conn, "journal_mode", "wal"},
		{s.wc.conn, "synchronous", "1"}, // NORMAL: the store flushes the WAL itself after each commit (walSyncer)
		{s.wc.conn, "busy_timeout", "5000"},
		{s.wc.conn, "foreign_keys", "0"},
		{s.wc.conn, "query_only", "0"},
		{s.r, "busy_timeout", "5000"},
		{s.r, "query_only", "1"},
	} {
		var got string
		if err := c.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %q, want %q", c.pragma, got, c.want)
		}
	}
	if _, err := s.r.ExecContext(ctx, `DELETE FROM tasks`); err == nil {
		t.Fatal("a write through the read pool succeeded")
	}
	if got := s.w.Stats().MaxOpenConnections; got != 1 {
		t.Fatalf("write pool allows %d connections, want 1", got)
	}
}

// TestUpgradeFromInitKeepsData opens, with this binary, a database written
// at schema version 1 (history and steps keyed by execution id): every
// event and step row is still read back, and new commits go on from them.
func TestUpgradeFromInitKeepsData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, path, ms[:1]); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO executions VALUES ('e2', 'rb', '1', 't', '', '', 'running', 2, 10, 20, '{"b":2}', NULL)`,
		`INSERT INTO executions VALUES ('e1', 'rb', '1', 't', 'k1', '', 'completed', 3, 5, 30, '{"a":1}', '{"in":1}')`,
		`INSERT INTO history VALUES ('e1', 1, 'ExecutionStarted', '', 5, '{"seq":1,"type":"ExecutionStarted","time":"2025-03-01T12:00:00Z"}')`,
		`INSERT INTO history VALUES ('e2', 1, 'ExecutionStarted', '', 10, '{"seq":1,"type":"ExecutionStarted","time":"2025-03-01T12:00:01Z"}')`,
		`INSERT INTO history VALUES ('e1', 2, 'StepStarted', 's1', 6, '{"seq":2,"type":"StepStarted","time":"2025-03-01T12:00:02Z","stepId":"s1"}')`,
		`INSERT INTO history VALUES ('e2', 2, 'StepStarted', 's1', 20, '{"seq":2,"type":"StepStarted","time":"2025-03-01T12:00:03Z","stepId":"s1"}')`,
		`INSERT INTO history VALUES ('e1', 3, 'StepCompleted', 's1', 30, '{"seq":3,"type":"StepCompleted","time":"2025-03-01T12:00:04Z","stepId":"s1"}')`,
		`INSERT INTO steps VALUES ('e1', 's1', 0, 'completed', '{"x":1}')`,
		`INSERT INTO steps VALUES ('e2', 's1', 0, 'running', NULL)`,
		`INSERT INTO steps VALUES ('e1', 'loop', 1, 'completed', '{"i":1}')`,
		`INSERT INTO steps VALUES ('e1', 'loop', 0, 'completed', '{"i":0}')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec, steps, err := s.GetExecution(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != runbook.ExecutionCompleted || rec.Seq != 3 || string(rec.Data) != `{"a":1}` || string(rec.Static) != `{"in":1}` || rec.IdempotencyKey != "k1" {
		t.Fatalf("e1 after upgrade = %+v", rec)
	}
	var got []string
	for _, st := range steps {
		got = append(got, fmt.Sprintf("%s/%s/%d/%s/%s", st.ExecutionID, st.StepID, st.Iteration, st.Status, st.Data))
	}
	if want := `[e1/loop/0/completed/{"i":0} e1/loop/1/completed/{"i":1} e1/s1/0/completed/{"x":1}]`; fmt.Sprint(got) != want {
		t.Fatalf("steps of e1 after upgrade = %v, want %v", got, want)
	}
	if id, err := s.FindExecutionByKey(ctx, "t", "k1"); err != nil || id != "e1" {
		t.Fatalf("FindExecutionByKey after upgrade = %q, %v", id, err)
	}
	history := func(id string) string {
		t.Helper()
		evs, err := s.ListHistory(ctx, id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range evs {
			out = append(out, fmt.Sprintf("%d:%s", ev.Seq, ev.Type))
		}
		return fmt.Sprint(out)
	}
	if got := history("e1"); got != "[1:ExecutionStarted 2:StepStarted 3:StepCompleted]" {
		t.Fatalf("history of e1 after upgrade = %s", got)
	}
	if got := history("e2"); got != "[1:ExecutionStarted 2:StepStarted]" {
		t.Fatalf("history of e2 after upgrade = %s", got)
	}

	// The upgraded execution goes on: its next events and step rows land
	// after the old ones.
	e2, _, err := s.GetExecution(ctx, "e2")
	if err != nil {
		t.Fatal(err)
	}
	e2.Seq, e2.Status = 3, runbook.ExecutionCompleted
	res, err := s.Commit(ctx, []*runbook.Transition{{
		Execution: e2, ExpectedSeq: 2,
		Events: []runbook.Event{{Seq: 3, Type: runbook.EventStepCompleted, StepID: "s1", Time: time.Date(2025, 3, 1, 12, 0, 5, 0, time.UTC)}},
		Steps:  []*runbook.StepRecord{{ExecutionID: "e2", StepID: "s1", Status: runbook.StepCompleted, Data: []byte(`{"y":2}`)}},
	}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("Commit after upgrade = %v, %v", res, err)
	}
	if got := history("e2"); got != "[1:ExecutionStarted 2:StepStarted 3:StepCompleted]" {
		t.Fatalf("history of e2 after a commit = %s", got)
	}
	_, steps, err = s.GetExecution(ctx, "e2")
	if err != nil || len(steps) != 1 || steps[0].Status != runbook.StepCompleted || string(steps[0].Data) != `{"y":2}` {
		t.Fatalf("steps of e2 after a commit = %v, %v", steps, err)
	}

	// The down script, for an operator going back to an older binary,
	// keeps every row too.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, ms[1].Down); err != nil {
		t.Fatalf("down: %v", err)
	}
	var rows string
	err = db.QueryRowContext(ctx, `SELECT
    (SELECT group_concat(execution_id || ':' || seq, ' ') FROM (SELECT * FROM history ORDER BY execution_id, seq)) || ' / ' ||
    (SELECT group_concat(execution_id || ':' || step_id || ':' || iteration, ' ') FROM (SELECT * FROM steps ORDER BY execution_id, step_id, iteration)) || ' / ' ||
    (SELECT group_concat(id || ':' || seq, ' ') FROM (SELECT * FROM executions ORDER BY id))`).Scan(&rows)
	if want := "e1:1 e1:2 e1:3 e2:1 e2:2 e2:3 / e1:loop:0 e1:loop:1 e1:s1:0 e2:s1:0 / e1:3 e2:3"; err != nil || rows != want {
		t.Fatalf("rows after down = %q, %v, want %q", rows, err, want)
	}
}
