package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// Commit applies transitions in order in one database transaction. A
// transition that is refused (stale, conflicting, invalid) writes nothing
// and the others go on; a database failure rolls the whole batch back.
func (s *Store) Commit(ctx context.Context, txs []*runbook.Transition) ([]runbook.CommitResult, error) {
	return s.CommitPipelined(ctx, txs)()
}

// CommitPipelined is Commit in two steps (see runbook.PipelinedCommitter):
// it returns once the batch is written, and wait returns once it is on
// disk, so that the next batch is written while this one is flushed.
func (s *Store) CommitPipelined(ctx context.Context, txs []*runbook.Transition) (wait func() ([]runbook.CommitResult, error)) {
	results, n, err := s.commit(ctx, txs)
	return func() ([]runbook.CommitResult, error) {
		if err != nil {
			return nil, err
		}
		if n > 0 {
			if err := s.wal.wait(n); err != nil {
				return nil, fmt.Errorf("commit: %w", err)
			}
		}
		return results, nil
	}
}

// commit writes the batch and returns the number of the write to wait for
// (0 when nothing was written).
func (s *Store) commit(ctx context.Context, txs []*runbook.Transition) ([]runbook.CommitResult, uint64, error) {
	if err := s.check(); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	results := make([]runbook.CommitResult, len(txs))
	if len(txs) == 0 {
		return results, 0, nil
	}
	c := &committer{st: s.stmts, pks: s.pks, learned: make(map[string]int64), rows: newRowBatch()}
	n, err := s.write(ctx, func(ctx context.Context, _ *sql.Conn) error {
		for i, t := range txs {
			if t != nil && t.Execution != nil && c.rows.puts.Conflicts(t) {
				if err := c.rows.flush(ctx, s.multi); err != nil {
					return err
				}
			}
			res, err := c.apply(ctx, t)
			if err != nil {
				return fmt.Errorf("transition %d of execution %s: %w", i, t.Execution.ID, err)
			}
			results[i] = res
		}
		return c.rows.flush(ctx, s.multi)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("commit: %w", err)
	}
	s.pks.update(c.learned, c.ended)
	return results, n, nil
}

// committer applies transitions inside one write transaction.
type committer struct {
	st   *statements
	rows *rowBatch
	pks  *pkCache
	// learned holds the pks this transaction inserted or looked up, for
	// the cache once it has committed; ended the executions that ended.
	learned map[string]int64
	ended   []string
}

// apply applies one transition. A refusal is returned in the result; the
// error is for database failures only.
func (c *committer) apply(ctx context.Context, t *runbook.Transition) (runbook.CommitResult, error) {
	if err := contract.CheckTransition(t); err != nil {
		return runbook.CommitResult{Err: err}, nil
	}
	events, err := sqlrow.EncodeEvents(t)
	if err != nil {
		return runbook.CommitResult{Err: err}, nil
	}
	e := t.Execution
	var pk int64
	var refusal error
	if t.Create {
		pk, refusal, err = c.insertExecution(ctx, e)
	} else {
		pk, refusal, err = c.updateExecution(ctx, e, t.ExpectedSeq)
	}
	if err != nil || refusal != nil {
		return runbook.CommitResult{Err: refusal}, err
	}
	if e.Status.Terminal() {
		c.ended = append(c.ended, e.ID)
	}

	c.rows.add(t, pk, events)
	var res runbook.CommitResult
	if len(t.MatchInbox) > 0 {
		res.Inbox = make([][]*runbook.InboxEvent, len(t.MatchInbox))
		for i, q := range t.MatchInbox {
			if res.Inbox[i], err = c.matchInbox(ctx, q); err != nil {
				return runbook.CommitResult{}, err
			}
		}
	}
	return res, nil
}

// pk returns the pk of execution id, or false when there is no such
// execution.
func (c *committer) pk(ctx context.Context, id string) (int64, bool, error) {
	if pk, ok := c.learned[id]; ok {
		return pk, true, nil
	}
	if pk, ok := c.pks.get(id); ok {
		return pk, true, nil
	}
	var pk int64
	err := c.st.executionPK.QueryRowContext(ctx, id).Scan(&pk)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("read execution pk: %w", err)
	}
	c.learned[id] = pk
	return pk, true, nil
}

// insertExecution inserts a new execution row and returns its pk, or
// returns why it cannot: the id or the idempotency key is taken. ON
// CONFLICT DO NOTHING keeps the transaction usable for the other
// transitions (PostgreSQL would abort it on a failed statement).
func (c *committer) insertExecution(ctx context.Context, e *runbook.ExecutionRecord) (pk int64, refusal, err error) {
	res, err := c.st.insertExecution.ExecContext(ctx, e.ID, e.RunbookID, e.RunbookVersion, e.TenantID, e.IdempotencyKey,
		e.ParentID, string(e.Status), e.Seq, sqlrow.Micros(e.CreatedAt), sqlrow.Micros(e.UpdatedAt), sqlrow.Blob(e.Data), sqlrow.Blob(e.Static))
	if err != nil {
		return 0, nil, fmt.Errorf("insert execution: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, nil, fmt.Errorf("insert execution: %w", err)
	}
	if n == 1 {
		if pk, err = res.LastInsertId(); err != nil {
			return 0, nil, fmt.Errorf("insert execution: %w", err)
		}
		c.learned[e.ID] = pk
		return pk, nil, nil
	}
	refusal, err = c.insertRefusal(ctx, e)
	return 0, refusal, err
}

// insertRefusal says why an execution row was not inserted.
func (c *committer) insertRefusal(ctx context.Context, e *runbook.ExecutionRecord) (refusal, err error) {
	var seq int64
	var tenant, key string
	err = c.st.executionState.QueryRowContext(ctx, e.ID).Scan(&seq, &tenant, &key)
	switch {
	case err == nil:
		return contract.ErrExecutionExists(e.ID), nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("read execution: %w", err)
	}
	var other string
	if err := c.st.executionByKey.QueryRowContext(ctx, e.TenantID, e.IdempotencyKey).Scan(&other); err != nil {
		return nil, fmt.Errorf("insert execution: no row inserted and no conflict found: %w", err)
	}
	return contract.ErrKeyTaken(e.TenantID, e.IdempotencyKey, other), nil
}

// updateExecution replaces the execution row if its seq is expectedSeq
// and returns its pk, or returns why it does not: the row is absent,
// changed since, or would change tenant or idempotency key.
func (c *committer) updateExecution(ctx context.Context, e *runbook.ExecutionRecord, expectedSeq int64) (pk int64, refusal, err error) {
	pk, found, err := c.pk(ctx, e.ID)
	if err != nil {
		return 0, nil, err
	}
	if !found {
		return 0, contract.ErrExecutionNotFound(e.ID), nil
	}
	// First as if the status stays, then, when no row matched, with it.
	n, err := affected(c.st.updateSameStatus.ExecContext(ctx, e.Seq, sqlrow.Micros(e.UpdatedAt), sqlrow.Blob(e.Data),
		pk, e.ID, expectedSeq, e.TenantID, e.IdempotencyKey, string(e.Status)))
	if err == nil && n == 0 {
		n, err = affected(c.st.updateExecution.ExecContext(ctx, string(e.Status), e.Seq, sqlrow.Micros(e.UpdatedAt), sqlrow.Blob(e.Data),
			pk, e.ID, expectedSeq, e.TenantID, e.IdempotencyKey))
	}
	if err != nil {
		return 0, nil, fmt.Errorf("update execution: %w", err)
	}
	if n == 1 {
		return pk, nil, nil
	}
	refusal, err = c.updateRefusal(ctx, e, expectedSeq)
	return 0, refusal, err
}

// affected returns the number of rows a statement changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// updateRefusal says why an execution row was not updated.
func (c *committer) updateRefusal(ctx context.Context, e *runbook.ExecutionRecord, expectedSeq int64) (refusal, err error) {
	var seq int64
	var tenant, key string
	err = c.st.executionState.QueryRowContext(ctx, e.ID).Scan(&seq, &tenant, &key)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return contract.ErrExecutionNotFound(e.ID), nil
	case err != nil:
		return nil, fmt.Errorf("read execution: %w", err)
	case seq != expectedSeq:
		return contract.ErrStale(e.ID, expectedSeq, seq), nil
	default:
		return contract.ErrIdentityChanged(e.ID), nil
	}
}

func (c *committer) matchInbox(ctx context.Context, q *runbook.InboxQuery) ([]*runbook.InboxEvent, error) {
	rows, err := c.st.matchInbox.QueryContext(ctx, q.TenantID, q.Type, q.CorrelationID, sqlrow.Micros(q.Since))
	if err != nil {
		return nil, fmt.Errorf("match inbox: %w", err)
	}
	defer rows.Close()
	out, err := sqlrow.AppendAll(nil, rows, sqlrow.ScanInboxEvent)
	if err != nil {
		return nil, fmt.Errorf("match inbox: %w", err)
	}
	return out, nil
}
