package postgres

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
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
	ms, err := loadMigrations(migrationFiles)
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
	const all = "executions history inbox runbooks schema_migrations steps tasks waits"

	if err := migrate(ctx, conn, "test", ms); err != nil {
		t.Fatal(err)
	}
	if got := tables(); got != all {
		t.Fatalf("tables after up = %q, want %q", got, all)
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if _, err := conn.Exec(ctx, ms[i].down); err != nil {
			t.Fatalf("down %d: %v", ms[i].version, err)
		}
		if _, err := conn.Exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, ms[i].version); err != nil {
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

func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, c := range []struct {
		name    string
		files   fstest.MapFS
		wantErr string
	}{
		{"two versions", fstest.MapFS{
			"migrations/0001_init.up.sql": file("a"), "migrations/0001_init.down.sql": file("b"),
			"migrations/0002_more.up.sql": file("c"), "migrations/0002_more.down.sql": file("d"),
		}, ""},
		{"bad name", fstest.MapFS{"migrations/1_init.up.sql": file("a")}, "name is not"},
		{"no down", fstest.MapFS{"migrations/0001_init.up.sql": file("a")}, "needs both"},
		{"gap", fstest.MapFS{
			"migrations/0001_init.up.sql": file("a"), "migrations/0001_init.down.sql": file("b"),
			"migrations/0003_more.up.sql": file("c"), "migrations/0003_more.down.sql": file("d"),
		}, "want version 0002"},
		{"two names", fstest.MapFS{"migrations/0001_init.up.sql": file("a"), "migrations/0001_other.down.sql": file("b")}, "two names"},
	} {
		ms, err := loadMigrations(c.files)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr == "" && (len(ms) != 2 || ms[1].version != 2 || ms[1].name != "more" || ms[1].up != "c" || ms[1].down != "d"):
			t.Errorf("%s: migrations = %+v", c.name, ms)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
		}
	}
}

// The migrations of both SQL stores create the same tables.
func TestMigrationsMatchSQLite(t *testing.T) {
	t.Parallel()
	ours, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := os.ReadDir("../sqlite/migrations")
	if err != nil {
		t.Fatal(err)
	}
	if 2*len(ours) != len(theirs) {
		t.Fatalf("%d PostgreSQL migrations, %d SQLite migration files: keep them in step", len(ours), len(theirs))
	}
}
