package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook"
)

// migrationFiles holds the numbered schema migrations,
// NNNN_name.up.sql and NNNN_name.down.sql, kept in step with the SQLite
// store's. The down scripts are not run by the store; they are for an
// operator rolling a database back by hand.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	up      string
	down    string
}

// parseMigrationName splits "0001_init.up.sql" into 1, "init", "up".
func parseMigrationName(file string) (version int, name, direction string, ok bool) {
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

// loadMigrations reads the migrations of fsys's migrations directory and
// checks that they are numbered 1, 2, 3... each with an up and a down
// script.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	byVersion := make(map[int]*migration)
	for _, e := range entries {
		v, name, direction, ok := parseMigrationName(e.Name())
		if !ok {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.up.sql or NNNN_name.down.sql", e.Name())
		}
		body, err := fs.ReadFile(fsys, "migrations/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		mig := byVersion[v]
		if mig == nil {
			mig = &migration{version: v, name: name}
			byVersion[v] = mig
		}
		if mig.name != name {
			return nil, fmt.Errorf("migration %04d has two names: %s and %s", v, mig.name, name)
		}
		if direction == "up" {
			mig.up = string(body)
		} else {
			mig.down = string(body)
		}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: want version %04d (versions must follow each other from 0001)", m.version, m.name, i+1)
		}
		if m.up == "" || m.down == "" {
			return nil, fmt.Errorf("migration %04d_%s: needs both an up and a down script", m.version, m.name)
		}
	}
	return out, nil
}

// migrationLockKey is the advisory lock that serializes the migrations of
// one schema: every process that opens the store takes it, so two
// replicas starting together do not both create the tables.
func migrationLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("runbook migrate\x00" + schema))
	return int64(h.Sum64())
}

// migrate brings the schema that conn's search_path selects to the last of
// ms, one transaction per migration, recording each in schema_migrations.
// It holds a session-level advisory lock for the schema meanwhile: a
// second process waits, then finds the schema current. A schema newer
// than ms is refused: an older binary must not write to it.
//
// conn is a connection of its own, closed by the caller: closing it
// releases the lock even when a migration fails half-way.
func migrate(ctx context.Context, conn *pgx.Conn, where string, ms []migration) error {
	var schema *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("read current schema: %w", err)
	}
	if schema == nil {
		var path string
		if err := conn.QueryRow(ctx, `SHOW search_path`).Scan(&path); err != nil {
			return fmt.Errorf("read search_path: %w", err)
		}
		return runbook.Errorf(runbook.EINVALID,
			"database %s: no schema of the search_path (%s) exists; create it (CREATE SCHEMA name) or name another in the URL (search_path=name)", where, path)
	}
	key := migrationLockKey(*schema)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("lock schema %s for migration: %w", *schema, err)
	}
	err := migrateLocked(ctx, conn, where, *schema, ms)
	if _, uerr := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); uerr != nil && err == nil {
		err = fmt.Errorf("unlock schema %s after migration: %w", *schema, uerr)
	}
	return err
}

func migrateLocked(ctx context.Context, conn *pgx.Conn, where, schema string, ms []migration) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer NOT NULL PRIMARY KEY,
    name       text    NOT NULL,
    applied_at bigint  NOT NULL
)`
	if _, err := conn.Exec(ctx, create); err != nil {
		return fmt.Errorf("create schema_migrations in schema %s: %w", schema, err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	if current > latest {
		return &runbook.Error{
			Code: runbook.EUNSUPPORTED,
			Message: fmt.Sprintf("database %s (schema %s) has schema version %d, newer than this runbook binary knows (%d): upgrade runbook",
				where, schema, current, latest),
		}
	}
	for _, m := range ms[current:] {
		if err := applyMigration(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *pgx.Conn, m migration) (err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(ctx, tx))
		}
	}()
	if _, err := tx.Exec(ctx, m.up); err != nil {
		return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("migration %04d_%s: record: %w", m.version, m.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migration %04d_%s: commit: %w", m.version, m.name, err)
	}
	return nil
}

// rollback rolls tx back, ignoring a transaction already closed.
func rollback(ctx context.Context, tx pgx.Tx) error {
	if err := tx.Rollback(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}
