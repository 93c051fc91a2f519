package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// DeliverEvent stores ev and returns the event waits it matches, oldest
// first, in one transaction and one round trip. It holds the advisory lock
// of (tenant, type, correlation id) from before its read to its commit, as
// does a Commit that parks a step on such an event (see matchLockKey): the
// two cannot miss each other.
func (s *Store) DeliverEvent(ctx context.Context, ev *runbook.InboxEvent) ([]*runbook.Wait, error) {
	if err := contract.CheckInboxEvent(ev); err != nil {
		return nil, err
	}
	if err := checkText(fmt.Sprintf("event %q", ev.ID), ev.ID, ev.TenantID, ev.Type, ev.CorrelationID); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, failure(fmt.Sprintf("deliver event %s", ev.ID), err)
	}
	defer conn.Release()
	var inserted bool
	var out []*runbook.Wait
	b := beginIndexesOnly()
	b.Queue(sqlLockMatch, matchLockKey(ev.TenantID, ev.Type, ev.CorrelationID))
	b.Queue(sqlInsertInbox, ev.ID, ev.TenantID, ev.Type, ev.CorrelationID, sqlrow.Blob(ev.Payload), sqlrow.Micros(ev.ReceivedAt)).
		Exec(func(ct pgconn.CommandTag) error {
			inserted = ct.RowsAffected() == 1
			return nil
		})
	b.Queue(sqlEventWaits, string(runbook.WaitEvent), ev.TenantID, ev.Type, ev.CorrelationID).Query(func(rows pgx.Rows) error {
		var err error
		out, err = collect(rows, sqlrow.ScanWait)
		return err
	})
	// Committing when the event was there already writes nothing.
	b.Queue(sqlCommit)
	if err := send(ctx, conn, b); err != nil {
		return nil, failure(fmt.Sprintf("deliver event %s", ev.ID), err)
	}
	if !inserted {
		return nil, contract.ErrEventExists(ev.ID)
	}
	return out, nil
}

// ListWaits returns the waits f selects, oldest first.
func (s *Store) ListWaits(ctx context.Context, f runbook.WaitFilter) ([]*runbook.Wait, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := checkText("wait filter", string(f.Kind), f.TenantID, f.Approver); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(string(f.Kind)))
	}
	if f.TenantID != "" {
		where = append(where, "tenant_id = "+arg(f.TenantID))
	}
	if f.Approver != "" {
		// jsonb ? text: the string is an element of the array.
		where = append(where, "approvers ? "+arg(f.Approver))
	}
	query := `SELECT ` + sqlrow.WaitColumns + ` FROM waits`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at, execution_id, step_id, iteration`
	if f.Limit > 0 {
		query += ` LIMIT ` + arg(f.Limit)
	}
	out, err := queryAll(ctx, s, sqlrow.ScanWait, query, args...)
	if err != nil {
		return nil, failure("list waits", err)
	}
	return out, nil
}
