package migration

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/runbookhq/runbook"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, c := range []struct {
		name    string
		files   fstest.MapFS
		wantErr string
	}{
		{"two versions", fstest.MapFS{
			"migrations/0002_more.up.sql": file("c"), "migrations/0002_more.down.sql": file("d"),
			"migrations/0001_init.up.sql": file("a"), "migrations/0001_init.down.sql": file("b"),
		}, ""},
		{"no directory", fstest.MapFS{"other/0001_init.up.sql": file("a")}, "read migrations"},
		{"bad name", fstest.MapFS{"migrations/1_init.up.sql": file("a")}, "name is not"},
		{"not sql", fstest.MapFS{"migrations/0001_init.up.txt": file("a")}, "name is not"},
		{"no down", fstest.MapFS{"migrations/0001_init.up.sql": file("a")}, "needs both"},
		{"no up", fstest.MapFS{"migrations/0001_init.down.sql": file("b")}, "needs both"},
		{"gap", fstest.MapFS{
			"migrations/0001_init.up.sql": file("a"), "migrations/0001_init.down.sql": file("b"),
			"migrations/0003_more.up.sql": file("c"), "migrations/0003_more.down.sql": file("d"),
		}, "want version 0002"},
		{"not from 1", fstest.MapFS{"migrations/0002_more.up.sql": file("c"), "migrations/0002_more.down.sql": file("d")}, "want version 0001"},
		{"two names", fstest.MapFS{"migrations/0001_init.up.sql": file("a"), "migrations/0001_other.down.sql": file("b")}, "two names"},
	} {
		ms, err := Load(c.files, "migrations")
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr == "" && (len(ms) != 2 ||
			ms[0] != Migration{Version: 1, Name: "init", Up: "a", Down: "b"} ||
			ms[1] != Migration{Version: 2, Name: "more", Up: "c", Down: "d"}):
			t.Errorf("%s: migrations = %+v", c.name, ms)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
		}
	}
}

func TestLoadEmpty(t *testing.T) {
	t.Parallel()
	ms, err := Load(fstest.MapFS{"migrations": &fstest.MapFile{Mode: fs.ModeDir | 0o755}}, "migrations")
	if err != nil || len(ms) != 0 {
		t.Fatalf("Load of an empty directory = %+v, %v", ms, err)
	}
}

func TestParseName(t *testing.T) {
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
		v, name, dir, ok := ParseName(c.file)
		if v != c.version || name != c.name || dir != c.dir || ok != c.ok {
			t.Errorf("ParseName(%q) = %d, %q, %q, %v", c.file, v, name, dir, ok)
		}
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"0001_init.up.sql", "0002_x.down.sql", "0001_init.up", "_.up.sql", "0001_a.b.up.sql"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		v, name, dir, ok := ParseName(file)
		if !ok {
			return
		}
		// Whatever is accepted is exactly the canonical name it parses to.
		if back := fmt.Sprintf("%04d_%s.%s.sql", v, name, dir); back != file {
			t.Fatalf("ParseName(%q) = %d, %q, %q; formats back as %q", file, v, name, dir, back)
		}
	})
}

func TestPending(t *testing.T) {
	t.Parallel()
	ms := []Migration{{Version: 1, Name: "init"}, {Version: 2, Name: "more"}, {Version: 3, Name: "last"}}
	for current, want := range []string{"init more last", "more last", "last", ""} {
		todo, err := Pending(ms, current, "db")
		if err != nil {
			t.Fatalf("Pending at version %d: %v", current, err)
		}
		var names []string
		for _, m := range todo {
			names = append(names, m.Name)
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("Pending at version %d = %q, want %q", current, got, want)
		}
	}
	_, err := Pending(ms, 4, "db (schema s)")
	const msg = "database db (schema s) has schema version 4, newer than this runbook binary knows (3): upgrade runbook"
	if runbook.ErrorCode(err) != runbook.EUNSUPPORTED || runbook.ErrorMessage(err) != msg {
		t.Fatalf("Pending of a newer database = %v (code %q), want %s %q", err, runbook.ErrorCode(err), runbook.EUNSUPPORTED, msg)
	}
	if todo, err := Pending(nil, 0, "db"); err != nil || len(todo) != 0 {
		t.Fatalf("Pending without migrations = %v, %v", todo, err)
	}
	if _, err := Pending(nil, 1, "db"); runbook.ErrorCode(err) != runbook.EUNSUPPORTED {
		t.Fatalf("Pending without migrations of a migrated database = %v, want %s", err, runbook.EUNSUPPORTED)
	}
}
