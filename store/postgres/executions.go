package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// sqlBeginSnapshot begins a read-only transaction whose statements all see
// one snapshot.
const sqlBeginSnapshot = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`

// GetExecution returns an execution's row and its step rows ordered by
// step id then iteration, read from one snapshot in one round trip.
func (s *Store) GetExecution(ctx context.Context, id string) (*runbook.ExecutionRecord, []*runbook.StepRecord, error) {
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	if !storable(id) {
		return nil, nil, contract.ErrExecutionNotFound(id)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, nil, failure(fmt.Sprintf("get execution %s", id), err)
	}
	defer conn.Release()
	var rec *runbook.ExecutionRecord
	var steps []*runbook.StepRecord
	b := &pgx.Batch{}
	b.Queue(sqlBeginSnapshot)
	b.Queue(`SELECT `+sqlrow.ExecutionColumns+` FROM executions WHERE id = $1`, id).QueryRow(func(row pgx.Row) error {
		var err error
		rec, err = sqlrow.ScanExecution(row)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	b.Queue(`SELECT `+sqlrow.StepColumns+` FROM steps WHERE execution_id = $1 ORDER BY step_id, iteration`, id).Query(func(rows pgx.Rows) error {
		var err error
		steps, err = collect(rows, sqlrow.ScanStep)
		return err
	})
	b.Queue(sqlCommit)
	if err := send(ctx, conn, b); err != nil {
		return nil, nil, failure(fmt.Sprintf("get execution %s", id), err)
	}
	if rec == nil {
		return nil, nil, contract.ErrExecutionNotFound(id)
	}
	return rec, steps, nil
}

// FindExecutionByKey returns the id of the execution started with key in
// the tenant.
func (s *Store) FindExecutionByKey(ctx context.Context, tenantID, key string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	if !storable(tenantID) || !storable(key) {
		return "", contract.ErrKeyNotFound(tenantID, key)
	}
	var id string
	err := s.pool.QueryRow(ctx, sqlSelectExecutionByKey, tenantID, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", contract.ErrKeyNotFound(tenantID, key)
	}
	if err != nil {
		return "", failure("find execution by key", err)
	}
	return id, nil
}

// ListExecutions returns executions newest first (by descending id).
func (s *Store) ListExecutions(ctx context.Context, f runbook.ExecutionFilter) ([]*runbook.ExecutionRecord, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := checkText("execution filter", f.RunbookID, string(f.Status), f.TenantID, f.Cursor); err != nil {
		return nil, err
	}
	query, args := sqlrow.ListExecutionsQuery(f, sqlrow.Dollar, sqlrow.ExecutionColumns)
	out, err := queryAll(ctx, s, sqlrow.ScanExecution, query, args...)
	if err != nil {
		return nil, failure("list executions", err)
	}
	return out, nil
}

// ListHistory returns the events of an execution with Seq > afterSeq, at
// most limit of them (0: all), read from one snapshot in one round trip.
func (s *Store) ListHistory(ctx context.Context, id string, afterSeq int64, limit int) ([]runbook.Event, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if !storable(id) {
		return nil, contract.ErrExecutionNotFound(id)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, failure(fmt.Sprintf("list history of %s", id), err)
	}
	defer conn.Release()
	exists := false
	out := []runbook.Event{}
	query := `SELECT seq, event FROM history WHERE execution_id = $1 AND seq > $2 ORDER BY seq`
	args := []any{id, afterSeq}
	if limit > 0 {
		query += ` LIMIT $3`
		args = append(args, limit)
	}
	b := &pgx.Batch{}
	b.Queue(sqlBeginSnapshot)
	b.Queue(`SELECT EXISTS (SELECT 1 FROM executions WHERE id = $1)`, id).QueryRow(func(row pgx.Row) error {
		return row.Scan(&exists)
	})
	b.Queue(query, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var seq int64
			var data []byte
			if err := rows.Scan(&seq, &data); err != nil {
				return err
			}
			var ev runbook.Event
			if err := json.Unmarshal(data, &ev); err != nil {
				return fmt.Errorf("decode event %d: %w", seq, err)
			}
			ev.Seq = seq
			out = append(out, ev)
		}
		return rows.Err()
	})
	b.Queue(sqlCommit)
	if err := send(ctx, conn, b); err != nil {
		return nil, failure(fmt.Sprintf("list history of %s", id), err)
	}
	if !exists {
		return nil, contract.ErrExecutionNotFound(id)
	}
	return out, nil
}
