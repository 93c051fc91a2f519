package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/migration"
)

// migrationFiles holds the numbered schema migrations,
// NNNN_name.up.sql and NNNN_name.down.sql, which migration.Load reads,
// kept in step with the SQLite store's. The down scripts are not run by
// the store; they are for an operator rolling a database back by hand.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

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
func migrate(ctx context.Context, conn *pgx.Conn, where string, ms []migration.Migration) error {
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

func migrateLocked(ctx context.Context, conn *pgx.Conn, where, schema string, ms []migration.Migration) error {
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
	todo, err := migration.Pending(ms, current, where+" (schema "+schema+")")
	if err != nil {
		return err
	}
	for _, m := range todo {
		if err := applyMigration(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *pgx.Conn, m migration.Migration) (err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(ctx, tx))
		}
	}()
	if _, err := tx.Exec(ctx, m.Up); err != nil {
		return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("migration %04d_%s: record: %w", m.Version, m.Name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migration %04d_%s: commit: %w", m.Version, m.Name, err)
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
