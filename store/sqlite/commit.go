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
	c := &committer{st: s.stmts, execs: s.execs, learned: make(map[string]execEntry), rows: newRowBatch()}
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
		// Whether the batch was written is not known for every failure:
		// what the cache held of its executions may be wrong.
		s.execs.forget(txs)
		return nil, 0, fmt.Errorf("commit: %w", err)
	}
	s.execs.update(c.learned, c.ended)
	return results, n, nil
}

// committer applies transitions inside one write transaction.
type committer struct {
	st    *statements
	rows  *rowBatch
	execs *execCache
	// learned holds what this transaction wrote or read of executions, for
	// the cache once it has committed; ended the executions that ended.
	learned map[string]execEntry
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
		if t.RunbookVersions > 0 {
			var n int
			if err := c.st.runbookVersions.QueryRowContext(ctx, e.RunbookID).Scan(&n); err != nil {
				return runbook.CommitResult{}, fmt.Errorf("count runbook versions: %w", err)
			}
			if n != t.RunbookVersions {
				return runbook.CommitResult{Err: contract.ErrRunbookChanged(e.ID, e.RunbookID, t.RunbookVersions, n)}, nil
			}
		}
		pk, refusal, err = c.insertExecution(ctx, e)
	} else {
		pk, refusal, err = c.updateExecution(ctx, t)
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

// current returns what the write path checks of execution id, as this
// transaction left it, or false when there is no such execution.
func (c *committer) current(ctx context.Context, id string) (execEntry, bool, error) {
	if e, ok := c.learned[id]; ok {
		return e, true, nil
	}
	if e, ok := c.execs.get(id); ok {
		return e, true, nil
	}
	var e execEntry
	var status string
	err := c.st.executionCurrent.QueryRowContext(ctx, id).Scan(&e.pk, &status, &e.tenant, &e.key, &e.seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return execEntry{}, false, nil
	case err != nil:
		return execEntry{}, false, fmt.Errorf("read execution: %w", err)
	}
	e.status = runbook.ExecutionStatus(status)
	c.learned[id] = e
	return e, true, nil
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
		c.learned[e.ID] = execEntry{pk: pk, seq: e.Seq, status: e.Status, tenant: e.TenantID, key: e.IdempotencyKey}
		return pk, nil, nil
	}
	refusal, err = c.insertRefusal(ctx, e)
	return 0, refusal, err
}

// insertRefusal says why an execution row was not inserted.
func (c *committer) insertRefusal(ctx context.Context, e *runbook.ExecutionRecord) (refusal, err error) {
	var pk int64
	err = c.st.executionPK.QueryRowContext(ctx, e.ID).Scan(&pk)
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

// updateExecution checks t against the execution as it stands and returns
// its pk, or returns why t is refused: the execution is absent, has moved
// since ExpectedSeq, or would change tenant or idempotency key (or status,
// with DeferRows). It then writes the execution row, unless t defers its
// rows: the row then keeps its document, seq and time, which readers take
// from the history (see sqlCurrentExecutionColumns).
func (c *committer) updateExecution(ctx context.Context, t *runbook.Transition) (pk int64, refusal, err error) {
	e := t.Execution
	cur, found, err := c.current(ctx, e.ID)
	switch {
	case err != nil:
		return 0, nil, err
	case !found:
		return 0, contract.ErrExecutionNotFound(e.ID), nil
	case cur.seq != t.ExpectedSeq:
		return 0, contract.ErrStale(e.ID, t.ExpectedSeq, cur.seq), nil
	case cur.tenant != e.TenantID || cur.key != e.IdempotencyKey:
		return 0, contract.ErrIdentityChanged(e.ID), nil
	case t.DeferRows && cur.status != e.Status:
		return 0, contract.ErrDeferredStatus(e.ID, cur.status, e.Status), nil
	}
	if !t.DeferRows {
		var res sql.Result
		if cur.status == e.Status {
			res, err = c.st.updateSameStatus.ExecContext(ctx, e.Seq, sqlrow.Micros(e.UpdatedAt), sqlrow.Blob(e.Data), cur.pk, e.ID)
		} else {
			res, err = c.st.updateExecution.ExecContext(ctx, string(e.Status), e.Seq, sqlrow.Micros(e.UpdatedAt), sqlrow.Blob(e.Data), cur.pk, e.ID)
		}
		if err != nil {
			return 0, nil, fmt.Errorf("update execution: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return 0, nil, fmt.Errorf("update execution %s: row with pk %d not found (%d rows, %v)", e.ID, cur.pk, n, err)
		}
	}
	cur.seq, cur.status = e.Seq, e.Status
	c.learned[e.ID] = cur
	return cur.pk, nil, nil
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

// DefersRows reports that the store accepts Transition.DeferRows: it then
// appends the events without writing the execution row (see
// execCache).
func (s *Store) DefersRows() bool { return true }
