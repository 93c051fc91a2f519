package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestWriteRecoversFromOpenTransaction checks that a transaction left
// open on the write connection (by a ROLLBACK that failed) does not make
// every later write fail: the next write ends it and goes on.
func TestWriteRecoversFromOpenTransaction(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTemp(t)
	if _, err := s.wc.conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.wc.conn.ExecContext(ctx, `INSERT INTO inbox (id, tenant_id, type, correlation_id, payload, received_at) VALUES ('lost', 't', 'x', 'c', NULL, 0)`); err != nil {
		t.Fatal(err)
	}
	err := s.writeTx(ctx, func(ctx context.Context, wc *sql.Conn) error {
		_, err := wc.ExecContext(ctx, `INSERT INTO inbox (id, tenant_id, type, correlation_id, payload, received_at) VALUES ('kept', 't', 'x', 'c', NULL, 0)`)
		return err
	})
	if err != nil {
		t.Fatalf("write after a transaction left open: %v", err)
	}
	var ids []string
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM inbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) != 1 || ids[0] != "kept" {
		t.Fatalf("inbox = %q, want only the row of the write after (the open transaction's is rolled back)", ids)
	}
}

// openTemp opens a store on a new file, closed when t ends.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "runbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
