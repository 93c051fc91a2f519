package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// GetExecution returns an execution's row and its step rows ordered by
// step id then iteration, read from one snapshot.
func (s *Store) GetExecution(ctx context.Context, id string) (*runbook.ExecutionRecord, []*runbook.StepRecord, error) {
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("get execution %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	rec, err := sqlrow.ScanExecution(tx.QueryRowContext(ctx, `SELECT `+sqlCurrentExecutionColumns+` FROM executions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, contract.ErrExecutionNotFound(id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get execution %s: %w", id, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT e.id, s.step_id, s.iteration, s.status, s.data
FROM executions e JOIN steps s ON s.execution_pk = e.pk
WHERE e.id = ? ORDER BY s.step_id, s.iteration`, id)
	if err != nil {
		return nil, nil, fmt.Errorf("get steps of execution %s: %w", id, err)
	}
	defer rows.Close()
	steps, err := sqlrow.AppendAll([]*runbook.StepRecord{}, rows, sqlrow.ScanStep)
	if err != nil {
		return nil, nil, fmt.Errorf("get steps of execution %s: %w", id, err)
	}
	if err := s.durable(); err != nil {
		return nil, nil, fmt.Errorf("get execution %s: %w", id, err)
	}
	return rec, steps, nil
}

// FindExecutionByKey returns the id of the execution started with key in
// the tenant.
func (s *Store) FindExecutionByKey(ctx context.Context, tenantID, key string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	var id string
	err := s.r.QueryRowContext(ctx, sqlSelectExecutionByKey, tenantID, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", contract.ErrKeyNotFound(tenantID, key)
	}
	if err != nil {
		return "", fmt.Errorf("find execution by key: %w", err)
	}
	if err := s.durable(); err != nil {
		return "", fmt.Errorf("find execution by key: %w", err)
	}
	return id, nil
}

// ListExecutions returns executions newest first (by descending id).
func (s *Store) ListExecutions(ctx context.Context, f runbook.ExecutionFilter) ([]*runbook.ExecutionRecord, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	query, args := sqlrow.ListExecutionsQuery(f, sqlrow.Question, sqlCurrentExecutionColumns)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	defer rows.Close()
	out, err := sqlrow.AppendAll(nil, rows, sqlrow.ScanExecution)
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	if err := s.durable(); err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	return out, nil
}

// ListHistory returns the events of an execution with Seq > afterSeq, at
// most limit of them (0: all).
func (s *Store) ListHistory(ctx context.Context, id string, afterSeq int64, limit int) ([]runbook.Event, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list history of %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var pk int64
	err = tx.QueryRowContext(ctx, sqlSelectExecutionPK, id).Scan(&pk)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, contract.ErrExecutionNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("list history of %s: %w", id, err)
	}
	query := `SELECT seq, event FROM history WHERE execution_pk = ? AND seq > ? ORDER BY seq`
	args := []any{pk, afterSeq}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list history of %s: %w", id, err)
	}
	defer rows.Close()
	out := []runbook.Event{}
	for rows.Next() {
		var seq int64
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			return nil, fmt.Errorf("list history of %s: %w", id, err)
		}
		var ev runbook.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return nil, fmt.Errorf("list history of %s: decode event %d: %w", id, seq, err)
		}
		ev.Seq = seq
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list history of %s: %w", id, err)
	}
	if err := s.durable(); err != nil {
		return nil, fmt.Errorf("list history of %s: %w", id, err)
	}
	return out, nil
}
