package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

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
	s, err := Open(ctx, filepath.Join(t.TempDir(), "runbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "synchronous", "1"}, // NORMAL: the store flushes the WAL itself after each commit (walSyncer)
		{s.w, "busy_timeout", "5000"},
		{s.w, "foreign_keys", "0"},
		{s.w, "query_only", "0"},
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
