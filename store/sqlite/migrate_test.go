package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ms, err := loadMigrations(migrationFiles)
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
		if _, err := db.ExecContext(ctx, ms[i].down); err != nil {
			t.Fatalf("down %d: %v", ms[i].version, err)
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = ?`, ms[i].version); err != nil {
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
		{"not sql", fstest.MapFS{"migrations/0001_init.up.txt": file("a")}, "name is not"},
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

func TestParseMigrationName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		file      string
		version   int
		name, dir string
		ok        bool
	}{
		{"0001_init.up.sql", 1, "init", "up", true},
		{"0012_add_index2.down.sql", 12, "add_index2", "down", true},
		{"0001_init.sideways.sql", 0, "", "", false},
		{"0001_Init.up.sql", 0, "", "", false},
		{"001_init.up.sql", 0, "", "", false},
		{"0001_.up.sql", 0, "", "", false},
		{"00a1_init.up.sql", 0, "", "", false},
		{"0001init.up.sql", 0, "", "", false},
		{"0001_init.up", 0, "", "", false},
	} {
		v, name, dir, ok := parseMigrationName(c.file)
		if v != c.version || name != c.name || dir != c.dir || ok != c.ok {
			t.Errorf("parseMigrationName(%q) = %d, %q, %q, %v", c.file, v, name, dir, ok)
		}
	}
}

func FuzzParseMigrationName(f *testing.F) {
	for _, s := range []string{"0001_init.up.sql", "0002_x.down.sql", "0001_init.up", "_.up.sql", "0001_a.b.up.sql"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		v, name, dir, ok := parseMigrationName(file)
		if !ok {
			return
		}
		// Whatever is accepted is exactly the canonical name it parses to.
		if back := fmt.Sprintf("%04d_%s.%s.sql", v, name, dir); back != file {
			t.Fatalf("parseMigrationName(%q) = %d, %q, %q; formats back as %q", file, v, name, dir, back)
		}
	})
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
