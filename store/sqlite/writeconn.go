package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// writeConn is the store's one write connection, taken from its pool for
// the store's life. Its transactions run BEGIN IMMEDIATE, COMMIT and
// ROLLBACK as statements prepared once: through database/sql's Tx, the
// driver parses them again for every transaction, a tenth of the cost of a
// small batch. The write statements are prepared on it too, and run on it
// directly. mu keeps its transactions one at a time.
type writeConn struct {
	mu                      sync.Mutex
	conn                    *sql.Conn
	begin, commit, rollback *sql.Stmt
	wal                     *walSyncer // numbers the commits
}

func openWriteConn(ctx context.Context, db *sql.DB, wal *walSyncer) (*writeConn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("write connection: %w", err)
	}
	w := &writeConn{conn: conn, wal: wal}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{{&w.begin, "BEGIN IMMEDIATE"}, {&w.commit, "COMMIT"}, {&w.rollback, "ROLLBACK"}} {
		if *p.dst, err = conn.PrepareContext(ctx, p.query); err != nil {
			w.close()
			return nil, fmt.Errorf("prepare %s: %w", p.query, err)
		}
	}
	return w, nil
}

// tx runs fn between BEGIN IMMEDIATE and COMMIT, and rolls back when fn or
// the COMMIT fails. It returns the number of the write (walSyncer). The
// caller holds mu.
func (w *writeConn) tx(ctx context.Context, fn func(context.Context, *sql.Conn) error) (uint64, error) {
	if err := w.run(ctx, fn); err != nil {
		return 0, err
	}
	w.wal.beginCommit()
	_, err := w.commit.ExecContext(ctx)
	n := w.wal.committed()
	if err != nil {
		// A COMMIT that failed may leave the transaction open.
		if rerr := w.endTx(ctx); rerr != nil {
			return 0, fmt.Errorf("commit: %w", errors.Join(err, fmt.Errorf("roll back: %w", rerr)))
		}
		return 0, fmt.Errorf("commit: %w", err)
	}
	w.wal.startWriteback()
	return n, nil
}

// run begins a transaction and runs fn in it; it rolls back when fn fails.
func (w *writeConn) run(ctx context.Context, fn func(context.Context, *sql.Conn) error) error {
	if _, err := w.begin.ExecContext(ctx); err != nil {
		// A transaction left open by a failed ROLLBACK would refuse every
		// later BEGIN: end it and try once more.
		if !strings.Contains(err.Error(), "within a transaction") {
			return fmt.Errorf("begin: %w", err)
		}
		if rerr := w.endTx(ctx); rerr != nil {
			return fmt.Errorf("begin: %w", errors.Join(err, rerr))
		}
		if _, err := w.begin.ExecContext(ctx); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
	}
	if err := fn(ctx, w.conn); err != nil {
		if rerr := w.endTx(ctx); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		return err
	}
	return nil
}

// endTx rolls back the open transaction, if there is one.
func (w *writeConn) endTx(ctx context.Context) error {
	_, err := w.rollback.ExecContext(ctx)
	if err != nil && strings.Contains(err.Error(), "no transaction is active") {
		return nil
	}
	return err
}

func (w *writeConn) ping(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conn.PingContext(ctx)
}

func (w *writeConn) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{w.begin, w.commit, w.rollback} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	errs = append(errs, w.conn.Close())
	return errors.Join(errs...)
}
