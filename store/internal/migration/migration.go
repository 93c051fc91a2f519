// Package migration handles the numbered schema migrations of the SQL
// stores, NNNN_name.up.sql and NNNN_name.down.sql files: it loads them from
// an fs.FS, checks that they follow each other, and tells which of them a
// database still needs. Running them is left to each store, which knows
// its driver, its dialect and its locking.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/runbookhq/runbook"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int    // 1, 2, 3...
	Name    string // the name part of the file names, such as "init"
	Up      string // the script that applies the change
	Down    string // the script that undoes it, run by hand only
}

// ParseName splits a migration file name such as "0001_init.up.sql" into
// its version (1), name ("init") and direction ("up" or "down"). ok is
// false unless file is exactly such a name: four digits, an underscore, a
// name of lower-case letters, digits and underscores, the direction and
// ".sql".
func ParseName(file string) (version int, name, direction string, ok bool) {
	base, ok := strings.CutSuffix(file, ".sql")
	if !ok {
		return 0, "", "", false
	}
	dot := strings.LastIndexByte(base, '.')
	if dot < 0 {
		return 0, "", "", false
	}
	base, direction = base[:dot], base[dot+1:]
	if direction != "up" && direction != "down" {
		return 0, "", "", false
	}
	num, name, ok := strings.Cut(base, "_")
	if !ok || len(num) != 4 || name == "" {
		return 0, "", "", false
	}
	for _, r := range num {
		if r < '0' || r > '9' {
			return 0, "", "", false
		}
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return 0, "", "", false
		}
	}
	version, _ = strconv.Atoi(num)
	return version, name, direction, true
}

// Load reads the migrations in the directory dir of fsys, ordered by
// version, and checks that every file there is named as ParseName wants,
// that the versions are 1, 2, 3... without a gap, and that each has one
// name and both an up and a down script.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	byVersion := make(map[int]*Migration)
	for _, e := range entries {
		v, name, direction, ok := ParseName(e.Name())
		if !ok {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.up.sql or NNNN_name.down.sql", e.Name())
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		m := byVersion[v]
		if m == nil {
			m = &Migration{Version: v, Name: name}
			byVersion[v] = m
		}
		if m.Name != name {
			return nil, fmt.Errorf("migration %04d has two names: %s and %s", v, m.Name, name)
		}
		if direction == "up" {
			m.Up = string(body)
		} else {
			m.Down = string(body)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: want version %04d (versions must follow each other from 0001)", m.Version, m.Name, i+1)
		}
		if m.Up == "" || m.Down == "" {
			return nil, fmt.Errorf("migration %04d_%s: needs both an up and a down script", m.Version, m.Name)
		}
	}
	return out, nil
}

// Pending returns the migrations of ms, as Load returns them, that a
// database at schema version current has not applied yet, in order. A
// database newer than the last of ms is refused with an EUNSUPPORTED error
// that names it as where: an older binary must not write to it.
func Pending(ms []Migration, current int, where string) ([]Migration, error) {
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].Version
	}
	if current > latest {
		return nil, &runbook.Error{
			Code:    runbook.EUNSUPPORTED,
			Message: fmt.Sprintf("database %s has schema version %d, newer than this runbook binary knows (%d): upgrade runbook", where, current, latest),
		}
	}
	return ms[current:], nil
}
