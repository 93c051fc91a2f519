package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// ClaimTasks leases up to limit claimable tasks to owner until
// leaseUntil, in one statement, and returns them earliest due first. The
// tasks taken are those that became claimable first: unowned tasks by due
// time, expired leases by expiry. The rows are picked with FOR UPDATE SKIP
// LOCKED, so that claimers on several nodes never get the same task while
// it is leased.
func (s *Store) ClaimTasks(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*runbook.Task, error) {
	if err := contract.CheckOwner(owner); err != nil {
		return nil, err
	}
	if err := checkText("lease owner", owner); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return []*runbook.Task{}, nil
	}
	var out []*runbook.Task
	err := s.inTx(ctx, func(b *pgx.Batch) {
		b.Queue(sqlClaimTasks, owner, sqlrow.Micros(leaseUntil), sqlrow.Micros(now), limit).Query(func(rows pgx.Rows) error {
			var err error
			out, err = collect(rows, sqlrow.ScanTask)
			return err
		})
	})
	if err != nil {
		return nil, failure("claim tasks", err)
	}
	contract.SortClaimed(out) // RETURNING does not promise an order
	return out, nil
}

// NextDue returns the earliest time at which a task can be claimed by
// someone other than its current owner: the due time of an unowned task,
// the later of due time and lease expiry of an owned one.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	if err := s.check(); err != nil {
		return time.Time{}, false, err
	}
	var next *int64
	err := s.inTx(ctx, func(b *pgx.Batch) {
		b.Queue(sqlNextDue).QueryRow(func(row pgx.Row) error { return row.Scan(&next) })
	})
	if err != nil {
		return time.Time{}, false, failure("next due task", err)
	}
	if next == nil {
		return time.Time{}, false, nil
	}
	return sqlrow.FromMicros(*next), true, nil
}

// ReferenceTime returns the database server's time: the time the
// replicas sharing the database agree on (runbook.ClockReference).
func (s *Store) ReferenceTime(ctx context.Context) (time.Time, error) {
	if err := s.check(); err != nil {
		return time.Time{}, err
	}
	var micros int64
	// clock_timestamp, not now(): now() is the start of the transaction.
	err := s.pool.QueryRow(ctx, "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint").Scan(&micros)
	if err != nil {
		return time.Time{}, failure("read the database's clock", err)
	}
	return sqlrow.FromMicros(micros), nil
}

// ExtendLeases moves every lease of owner to until.
func (s *Store) ExtendLeases(ctx context.Context, owner string, until time.Time) error {
	if err := contract.CheckOwner(owner); err != nil {
		return err
	}
	if err := checkText("lease owner", owner); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	if err := s.execRetrying(ctx, sqlExtendLeases, sqlrow.Micros(until), owner); err != nil {
		return failure(fmt.Sprintf("extend leases of %s", owner), err)
	}
	return nil
}

// ReleaseLeases gives back every lease of owner, or every lease when owner
// is "". On a database several processes share, only the first is safe:
// the others' leases are valid. When it gave back any, the other stores
// of the schema are notified (see WatchTasks).
func (s *Store) ReleaseLeases(ctx context.Context, owner string) error {
	if err := checkText("lease owner", owner); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	var err error
	if owner == "" {
		err = s.execRetrying(ctx, sqlReleaseAllLeases, sqlrow.Micros(time.Time{}), s.channel, s.instance)
	} else {
		err = s.execRetrying(ctx, sqlReleaseLeases, sqlrow.Micros(time.Time{}), owner, s.channel, s.instance)
	}
	if err != nil {
		return failure(fmt.Sprintf("release leases of %q", owner), err)
	}
	return nil
}

// execRetrying runs a statement that changes many rows in no set order
// and may deadlock with a commit changing some of them in another:
// PostgreSQL then aborts one of the two, and this one runs again.
func (s *Store) execRetrying(ctx context.Context, query string, args ...any) error {
	var err error
	for attempt := 1; attempt <= maxCommitAttempts; attempt++ {
		if _, err = s.pool.Exec(ctx, query, args...); err == nil || !retryable(err) {
			return err
		}
	}
	return err
}

// inTx runs the statements queue queues in one transaction that reads
// through indexes only (see sqlIndexesOnly), in one round trip: ClaimTasks
// and NextDue walk tasks_by_claimable, which a plan made while the table
// was small would not.
func (s *Store) inTx(ctx context.Context, queue func(b *pgx.Batch)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	b := beginIndexesOnly()
	queue(b)
	b.Queue(sqlCommit)
	return send(ctx, conn, b)
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, s *Store, scan func(sqlrow.Scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scan)
}
