package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// DeliverEvent stores ev and returns the event waits it matches, oldest
// first, in one write transaction: a Commit that puts a matching wait runs
// either before (and the wait is returned here) or after (and its
// MatchInbox query finds the event).
func (s *Store) DeliverEvent(ctx context.Context, ev *runbook.InboxEvent) ([]*runbook.Wait, error) {
	if err := contract.CheckInboxEvent(ev); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	var out []*runbook.Wait
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Conn) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO inbox (`+sqlrow.InboxColumns+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			ev.ID, ev.TenantID, ev.Type, ev.CorrelationID, sqlrow.Blob(ev.Payload), sqlrow.Micros(ev.ReceivedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return contract.ErrEventExists(ev.ID)
		}
		out, err = queryWaits(ctx, tx, `SELECT `+sqlrow.WaitColumns+` FROM waits
WHERE kind = ? AND tenant_id = ? AND event_type = ? AND correlation_id = ?
ORDER BY created_at, execution_id, step_id, iteration`,
			string(runbook.WaitEvent), ev.TenantID, ev.Type, ev.CorrelationID)
		return err
	})
	if err != nil {
		if runbook.ErrorCode(err) == runbook.ECONFLICT {
			return nil, err
		}
		return nil, fmt.Errorf("deliver event %s: %w", ev.ID, err)
	}
	return out, nil
}

// ListWaits returns the waits f selects, oldest first.
func (s *Store) ListWaits(ctx context.Context, f runbook.WaitFilter) ([]*runbook.Wait, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if f.TenantID != "" {
		where, args = append(where, "tenant_id = ?"), append(args, f.TenantID)
	}
	if f.Approver != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM json_each(waits.approvers) WHERE json_each.value = ?)"), append(args, f.Approver)
	}
	query := `SELECT ` + sqlrow.WaitColumns + ` FROM waits`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at, execution_id, step_id, iteration`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	out, err := queryWaits(ctx, s.r, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list waits: %w", err)
	}
	if err := s.durable(); err != nil { // also when a wait was deleted
		return nil, fmt.Errorf("list waits: %w", err)
	}
	return out, nil
}

// querier is a *sql.DB, a *sql.Tx or the write connection.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryWaits(ctx context.Context, q querier, query string, args ...any) ([]*runbook.Wait, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlrow.AppendAll([]*runbook.Wait{}, rows, sqlrow.ScanWait)
}
