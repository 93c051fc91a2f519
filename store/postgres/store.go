package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/migration"
)

// Store is the PostgreSQL runbook.Store. It is safe for concurrent use,
// and any number of Stores, in any number of processes, may use one
// database schema at once.
type Store struct {
	where string // the redacted URL, for messages
	pool  *pgxpool.Pool

	// The task notifications of the schema (see WatchTasks): the channel
	// every store on the schema listens to, this store's name in what it
	// sends, and the configuration of the connection that listens.
	channel  string
	instance string
	listen   *pgx.ConnConfig

	closed    atomic.Bool
	closeOnce sync.Once
}

var _ runbook.Store = (*Store)(nil)

// Open connects to the database at uri, a postgres:// (or postgresql://)
// URL, and migrates the schema its search_path selects forward. Besides
// the parameters of libpq URLs it takes pgxpool's (pool_max_conns, ...)
// and any server setting, such as search_path=runbook to keep the tables
// in the schema runbook, which must exist.
//
// It fails with EINVALID when uri is not such a URL or names no existing
// schema, with EUNAVAILABLE when the server does not answer, and with
// EUNSUPPORTED when the schema is newer than this binary.
func Open(ctx context.Context, uri string) (*Store, error) {
	where := Redact(uri)
	cfg, err := parseConfig(uri)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
	if err != nil {
		return nil, connectError("open store", where, err)
	}
	ms, err := migration.Load(migrationFiles, "migrations")
	if err == nil {
		err = migrate(ctx, conn, where, ms)
	}
	var schema string
	if err == nil {
		err = conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema)
	}
	if cerr := conn.Close(context.WithoutCancel(ctx)); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, openError(where, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, openError(where, err)
	}
	return &Store{where: where, pool: pool, channel: taskChannel(schema), instance: uuid.NewString(),
		listen: cfg.ConnConfig.Copy()}, nil
}

// parseConfig checks uri and returns the pool configuration it describes,
// with this store's defaults where it says nothing.
func parseConfig(uri string) (*pgxpool.Config, error) {
	where := Redact(uri)
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, runbook.Errorf(runbook.EINVALID, "open store %s: want a URL such as postgres://user@host:5432/database?sslmode=disable", where)
	}
	cfg, err := pgxpool.ParseConfig(uri)
	if err != nil {
		// The parser's error names the parameter at fault without
		// repeating the URL, but may quote a value: it is asked again
		// about the URL without its passwords.
		msg := "malformed URL"
		var perr *pgconn.ParseConfigError
		switch _, err := pgxpool.ParseConfig(withoutPasswords(u)); {
		case err == nil:
			msg = "malformed password" // only the password was at fault
		case errors.As(err, &perr) && perr.Unwrap() != nil:
			msg = perr.Unwrap().Error()
		}
		return nil, runbook.Errorf(runbook.EINVALID, "open store %s: %s", where, msg)
	}
	if !strings.Contains(u.RawQuery, "pool_max_conns") {
		// The committer, the poller, the lease renewer and API reads each
		// hold a connection at times.
		cfg.MaxConns = int32(max(8, 2*runtime.GOMAXPROCS(0)))
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "runbook"
	}
	return cfg, nil
}

// connectError reports a server that cannot be reached or refuses us
// while doing what (such as "open store").
func connectError(what, where string, err error) error {
	return &runbook.Error{
		Code:    runbook.EUNAVAILABLE,
		Message: fmt.Sprintf("%s %s: cannot connect: %s", what, where, oneLine(err)),
		Err:     err,
	}
}

// openError turns the error of a failed open into one a user can act on.
func openError(where string, err error) error {
	var rerr *runbook.Error
	if errors.As(err, &rerr) {
		return err
	}
	return fmt.Errorf("open store %s: %w", where, err)
}

// oneLine returns err's message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// withoutPasswords returns u as a string with every password replaced by
// "***": the same URL to a parser, which may quote a value in its errors,
// without the values to hide.
func withoutPasswords(u *url.URL) string {
	v := *u
	if _, ok := u.User.Password(); ok {
		v.User = url.UserPassword(u.User.Username(), "***")
	}
	hideFragment(&v)
	return redactPasswordParams(v.String())
}

// hideFragment replaces the fragment of u, if any, by "***": a connection
// string has no use for one, and a password pasted there would show.
func hideFragment(u *url.URL) {
	if u.Fragment != "" || u.RawFragment != "" {
		u.Fragment, u.RawFragment = "***", ""
	}
}

// redactPasswordParams replaces the value of every "password=" in a
// connection string by "***".
func redactPasswordParams(uri string) string {
	var b strings.Builder
	for {
		i := strings.Index(uri, "password=")
		if i < 0 {
			b.WriteString(uri)
			return b.String()
		}
		b.WriteString(uri[:i+len("password=")])
		uri = uri[i+len("password="):]
		end := strings.IndexAny(uri, "&#")
		if end < 0 {
			end = len(uri)
		}
		b.WriteString("***")
		uri = uri[end:]
	}
}

// Redact returns uri with its password, if any, replaced by "***", for
// messages and logs.
func Redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		// Not a URL we could parse: hide everything between "://" and "@",
		// and the value of every password parameter.
		scheme, rest, ok := strings.Cut(uri, "://")
		if at := strings.LastIndex(rest, "@"); ok && at >= 0 {
			uri = scheme + "://***" + rest[at:]
		}
		return redactPasswordParams(uri)
	}
	hideFragment(u)
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "***")
		u.RawQuery = strings.ReplaceAll(q.Encode(), "password=%2A%2A%2A", "password=***")
	}
	if _, has := u.User.Password(); has {
		user := url.User(u.User.Username()).String()
		u.User = nil
		scheme, rest, _ := strings.Cut(u.String(), "://")
		return redactPasswordParams(scheme + "://" + user + ":***@" + rest)
	}
	// A "password=" outside the query (in the path, say) is no
	// parameter, but may still be one the user meant to give.
	return redactPasswordParams(u.String())
}

// check returns an error once the store is closed.
func (s *Store) check() error {
	if s.closed.Load() {
		return contract.ErrClosed()
	}
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := s.pool.Ping(ctx); err != nil {
		return failure("ping store", err)
	}
	return nil
}

// Close closes every connection once the calls in flight have returned
// theirs. Later calls return an EUNAVAILABLE error; closing again is a
// no-op.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.pool.Close()
	})
	return nil
}
