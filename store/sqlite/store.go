package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/migration"
)

// Store is the SQLite runbook.Store. It is safe for concurrent use.
type Store struct {
	path  string
	lock  *os.File
	w     *sql.DB // one connection, held by wc once the store is open
	wc    *writeConn
	r     *sql.DB // query-only connections for reads
	stmts *statements
	multi *multiStatements // multi-row writes of Commit
	wal   *walSyncer       // makes a committed write durable before it returns
	execs *execCache       // what the write path checks of running executions

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ runbook.Store = (*Store)(nil)

// Connection settings. busy_timeout only matters for a reader meeting a
// checkpoint: the file lock keeps other processes away. The writer runs
// with synchronous=NORMAL because the store flushes the write-ahead log
// itself after every commit, outside the write connection (see
// walSyncer): commits are as durable as with synchronous=FULL.
const (
	writeParams = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(0)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	readParams  = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(0)&_query_only=1"
)

// Open opens (creating it if needed) the database file at path, migrates
// its schema forward and locks it for this process. Close releases it.
//
// It fails with EUNAVAILABLE when another Store holds the file, with
// EINVALID when path is not a file path or the file is not a database, and
// with EUNSUPPORTED when the schema is newer than this binary.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, runbook.Errorf(runbook.EINVALID, "open store: want the path of a database file, got %q", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	lock, err := lockDatabase(path)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, lock: lock, execs: newExecCache(maxCachedExecutions)}
	if err := s.open(ctx, abs); err != nil {
		s.release()
		return nil, openError(path, err)
	}
	return s, nil
}

func errInUse(path string) error {
	return runbook.Errorf(runbook.EUNAVAILABLE, "database %s is in use by another runbook process", path)
}

// open connects both pools, migrates and prepares the statements.
func (s *Store) open(ctx context.Context, abs string) error {
	s.w, _ = sql.Open("sqlite", dsn(abs, writeParams)) // only fails for an unknown driver
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	if err := migrate(ctx, s.w, s.path, ms); err != nil {
		return err
	}
	if s.wal, err = newWALSyncer(abs + "-wal"); err != nil {
		return err
	}
	if err := s.wal.wait(s.wal.committed()); err != nil { // the migrations
		return err
	}
	s.r, _ = sql.Open("sqlite", dsn(abs, readParams))
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	if err := s.r.PingContext(ctx); err != nil {
		return err
	}
	if s.wc, err = openWriteConn(ctx, s.w, s.wal); err != nil {
		return err
	}
	if s.stmts, err = prepare(ctx, s.wc.conn); err != nil {
		return err
	}
	s.multi, err = prepareMulti(ctx, s.wc.conn)
	return err
}

// dsn returns a file: URI for the absolute path abs, so that no character
// of the path is taken for a parameter.
func dsn(abs, params string) string {
	u := url.URL{Path: filepath.ToSlash(abs)}
	return "file:" + u.EscapedPath() + "?" + params
}

// openError turns the error of a failed open into one a user can act on.
func openError(path string, err error) error {
	var rerr *runbook.Error
	if errors.As(err, &rerr) {
		return err
	}
	var serr *sqlite.Error
	if errors.As(err, &serr) && serr.Code()&0xff == sqlite3.SQLITE_NOTADB {
		return &runbook.Error{
			Code:    runbook.EINVALID,
			Message: fmt.Sprintf("open store %s: file is not a database", path),
			Err:     err,
		}
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

// check returns an error once the store is closed.
func (s *Store) check() error {
	if s.closed.Load() {
		return contract.ErrClosed()
	}
	return nil
}

// Ping reports whether both connection pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := s.wc.ping(ctx); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	if err := s.wal.failure(); err != nil {
		// Every write is refused from now on: not ready.
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// Close closes the database and releases the file lock. Later calls
// return an EUNAVAILABLE error; closing again returns the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeErr = s.release()
	})
	return s.closeErr
}

// release closes whatever open managed to open, then unlocks the file.
func (s *Store) release() error {
	var errs []error
	if s.multi != nil {
		s.multi.close()
	}
	if s.stmts != nil {
		errs = append(errs, s.stmts.close())
	}
	if s.wc != nil {
		errs = append(errs, s.wc.close())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.wal != nil {
		errs = append(errs, s.wal.close())
	}
	errs = append(errs, unlockDatabase(s.lock))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// writeTx runs fn in a write transaction (BEGIN IMMEDIATE), commits it and
// returns once the commit is on disk; it rolls back when fn or the commit
// fails.
func (s *Store) writeTx(ctx context.Context, fn func(ctx context.Context, wc *sql.Conn) error) error {
	n, err := s.write(ctx, fn)
	if err != nil {
		return err
	}
	return s.wal.wait(n)
}

// write runs fn in a write transaction on the write connection and commits
// it, and returns the number of the write to wait for before anything
// depending on it is acknowledged. It returns as soon as the write
// connection is free for the next transaction, before the commit is on
// disk.
//
// Once begun, a write is not interrupted by ctx: it is short (one
// connection, local disk), and a cancellable context costs every statement
// a watcher goroutine and a progress callback in the driver. fn gets a
// context that is never cancelled, with ctx's values, for its statements.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, wc *sql.Conn) error) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	ctx = context.WithoutCancel(ctx)
	w := s.wc
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tx(ctx, fn)
}

// durable returns once every write a read may have seen is on disk, so
// that no read shows what a crash could take back (another connection
// sees a commit before the store has flushed it). Reads call it before
// they return.
func (s *Store) durable() error {
	if err := s.wal.waitVisible(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}
