package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// ClaimTasks leases up to limit claimable tasks, earliest due first, to
// owner until leaseUntil. The claim is one UPDATE ... RETURNING on the
// single write connection, so two claimers never get the same task.
func (s *Store) ClaimTasks(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*runbook.Task, error) {
	if err := contract.CheckOwner(owner); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	out := []*runbook.Task{}
	if limit <= 0 {
		return out, nil
	}
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Conn) error {
		rows, err := s.stmts.claimTasks.QueryContext(ctx, owner, sqlrow.Micros(leaseUntil), sqlrow.Micros(now), sqlrow.Micros(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		out, err = sqlrow.AppendAll(out, rows, sqlrow.ScanTask)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim tasks: %w", err)
	}
	contract.SortClaimed(out) // RETURNING does not promise an order
	return out, nil
}

// NextDue returns the earliest time at which a task can be claimed by
// someone other than its current owner: the due time of an unowned task,
// the later of due time and lease expiry of an owned one. Unlike the other
// reads it does not wait for what it saw to be flushed (see durable): it
// only tells the engine when to claim, and the claim is a write.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	if err := s.check(); err != nil {
		return time.Time{}, false, err
	}
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT MIN(t) FROM (
    SELECT MIN(due_at) AS t FROM tasks WHERE owner = ''
    UNION ALL
    SELECT MIN(CASE WHEN lease_expires_at > due_at THEN lease_expires_at ELSE due_at END) AS t FROM tasks WHERE owner <> ''
) AS candidates`).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due task: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return sqlrow.FromMicros(next.Int64), true, nil
}

// ExtendLeases moves every lease of owner to until.
func (s *Store) ExtendLeases(ctx context.Context, owner string, until time.Time) error {
	if err := contract.CheckOwner(owner); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Conn) error {
		_, err := tx.ExecContext(ctx, `UPDATE tasks SET lease_expires_at = ? WHERE owner = ?`, sqlrow.Micros(until), owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("extend leases of %s: %w", owner, err)
	}
	return nil
}

// ReleaseLeases gives back every lease of owner, or every lease when owner
// is "".
func (s *Store) ReleaseLeases(ctx context.Context, owner string) error {
	if err := s.check(); err != nil {
		return err
	}
	query, args := `UPDATE tasks SET owner = '', lease_expires_at = ? WHERE owner = ?`, []any{sqlrow.Micros(time.Time{}), owner}
	if owner == "" {
		query, args = `UPDATE tasks SET owner = '', lease_expires_at = ? WHERE owner <> ''`, args[:1]
	}
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Conn) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("release leases of %q: %w", owner, err)
	}
	return nil
}
