package postgres

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook/store/internal/migration"
)

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base := os.Getenv("RUNBOOK_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	uri, drop, err := TempSchema(ctx, base, "runbook_test_")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tables := func() string {
		t.Helper()
		rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(names, " ")
	}
	// The same tables as the SQLite store's (its test checks the same
	// list); the migrations themselves are numbered per store, since each
	// store lays its tables out for its own engine.
	const all = "executions history inbox runbooks schema_migrations steps tasks waits"

	if err := migrate(ctx, conn, "test", ms); err != nil {
		t.Fatal(err)
	}
	if got := tables(); got != all {
		t.Fatalf("tables after up = %q, want %q", got, all)
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if _, err := conn.Exec(ctx, ms[i].Down); err != nil {
			t.Fatalf("down %d: %v", ms[i].Version, err)
		}
		if _, err := conn.Exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, ms[i].Version); err != nil {
			t.Fatal(err)
		}
	}
	if got := tables(); got != "schema_migrations" {
		t.Fatalf("tables after down = %q, want only schema_migrations", got)
	}
	if err := migrate(ctx, conn, "test", ms); err != nil {
		t.Fatalf("up after down: %v", err)
	}
	if got := tables(); got != all {
		t.Fatalf("tables after up again = %q, want %q", got, all)
	}
}
