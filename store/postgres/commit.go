package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
)

// maxCommitAttempts bounds how often Commit runs a batch again after
// PostgreSQL aborted it for a deadlock (two nodes locking the same rows in
// opposite orders): the abort rolled everything back, so running it again
// is safe.
const maxCommitAttempts = 5

// Commit applies transitions in order in one database transaction, in two
// round trips to the server whatever their number (three when one is
// refused):
//
//  1. BEGIN, the advisory locks of the inbox matches (see matchLockKey),
//     then for each transition the INSERT or the optimistic UPDATE of its
//     execution row (WHERE seq = ExpectedSeq), pipelined. A row count of
//     zero refuses that transition: nothing else of it is written.
//  2. The rows of the accepted transitions, one statement per table for
//     the whole batch (see rowBatch), the inbox matches, then COMMIT,
//     pipelined.
//
// The execution rows written in the first round trip stay locked until
// the commit, so nobody changes them in between; other processes' commits
// of the same executions wait, then find the new seq and are refused with
// ESTALE. A transition that is refused (stale, conflicting, invalid)
// writes nothing and the others go on; a database failure rolls the whole
// batch back.
func (s *Store) Commit(ctx context.Context, txs []*runbook.Transition) ([]runbook.CommitResult, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]runbook.CommitResult, len(txs))
	if len(txs) == 0 {
		return results, nil
	}
	events := make([][][]byte, len(txs)) // nil: refused before any write
	for i, t := range txs {
		err := contract.CheckTransition(t)
		if err == nil {
			err = checkTransitionText(t)
		}
		if err == nil {
			events[i], err = encodeEvents(t)
		}
		if err != nil {
			results[i].Err = err
			continue
		}
		if events[i] == nil {
			events[i] = [][]byte{}
		}
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = s.commit(ctx, txs, events, results)
		if err == nil || attempt == maxCommitAttempts || !retryable(err) {
			break
		}
		for i := range results {
			if events[i] != nil {
				results[i] = runbook.CommitResult{}
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return results, nil
}

// retryable reports an error after which PostgreSQL rolled the
// transaction back on its own and running it again may succeed.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// commit runs one attempt of Commit; events[i] is nil for the transitions
// refused before it.
func (s *Store) commit(ctx context.Context, txs []*runbook.Transition, events [][][]byte, results []runbook.CommitResult) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()

	// Round trip 1: the execution rows.
	b := &pgx.Batch{}
	b.Queue(sqlBegin)
	for _, key := range matchLockKeys(txs, events) {
		b.Queue(sqlLockMatch, key)
	}
	affected := make([]int64, len(txs))
	for i, t := range txs {
		if events[i] == nil {
			continue
		}
		e := t.Execution
		var q *pgx.QueuedQuery
		if t.Create {
			q = b.Queue(sqlInsertExecution, e.ID, e.RunbookID, e.RunbookVersion, e.TenantID, e.IdempotencyKey,
				e.ParentID, string(e.Status), e.Seq, micros(e.CreatedAt), micros(e.UpdatedAt), blob(e.Data), blob(e.Static))
		} else {
			q = b.Queue(sqlUpdateExecution, string(e.Status), e.Seq, micros(e.UpdatedAt), blob(e.Data),
				e.ID, t.ExpectedSeq, e.TenantID, e.IdempotencyKey)
		}
		q.Exec(func(ct pgconn.CommandTag) error {
			affected[i] = ct.RowsAffected()
			return nil
		})
	}
	if err := send(ctx, conn, b); err != nil {
		return fmt.Errorf("write execution rows: %w", err)
	}
	accepted := make([]bool, len(txs))
	refused := false
	for i := range txs {
		accepted[i] = events[i] != nil && affected[i] == 1
		refused = refused || (events[i] != nil && !accepted[i])
	}
	if refused {
		if err := explainRefusals(ctx, conn, txs, events, accepted, results); err != nil {
			abandon(ctx, conn)
			return err
		}
	}

	// Round trip 2: every other row, the inbox matches and the commit.
	b = &pgx.Batch{}
	rows := newRowBatch()
	for i, t := range txs {
		if !accepted[i] {
			continue
		}
		if rows.conflicts(t) {
			rows.queue(b)
			rows = newRowBatch()
		}
		rows.add(t, events[i])
	}
	rows.queue(b)
	for i, t := range txs {
		if !accepted[i] || len(t.MatchInbox) == 0 {
			continue
		}
		inbox := make([][]*runbook.InboxEvent, len(t.MatchInbox))
		results[i].Inbox = inbox
		for j, q := range t.MatchInbox {
			b.Queue(sqlMatchInbox, q.TenantID, q.Type, q.CorrelationID, micros(q.Since)).Query(func(rows pgx.Rows) error {
				list, err := collect(rows, scanInboxEvent)
				inbox[j] = list
				return err
			})
		}
	}
	b.Queue(sqlCommit)
	if err := send(ctx, conn, b); err != nil {
		return fmt.Errorf("write rows: %w", err)
	}
	return nil
}

// send sends b on conn and reads every result. b may hold a whole
// transaction (BEGIN ... COMMIT) or begin one; when it fails, whatever
// transaction it left open is rolled back.
func send(ctx context.Context, conn *pgxpool.Conn, b *pgx.Batch) error {
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		abandon(ctx, conn)
		return err
	}
	return nil
}

// abandon rolls back the transaction conn is in, if any. When that fails
// too, the pool drops the connection on release: it never hands out one
// in a transaction.
func abandon(ctx context.Context, conn *pgxpool.Conn) {
	if conn.Conn().IsClosed() || conn.Conn().PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = conn.Exec(ctx, "ROLLBACK")
}

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, scan func(scanner) (*T, error)) ([]*T, error) {
	out := []*T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// explainRefusals finds out why each transition whose execution row was
// not written was refused, and sets its result. What the earlier and later
// transitions of the batch did to the same execution tells it exactly
// (the row is locked by this transaction once written); otherwise the
// stored row does, read in one more round trip.
func explainRefusals(ctx context.Context, conn *pgxpool.Conn, txs []*runbook.Transition, events [][][]byte, accepted []bool, results []runbook.CommitResult) error {
	type state struct {
		found         bool // the execution row exists
		seq           int64
		keyOwner      string
		keyOwnerFound bool
	}
	states := make(map[int]*state)
	b := &pgx.Batch{}
	for i, t := range txs {
		if events[i] == nil || accepted[i] {
			continue
		}
		e := t.Execution
		// The last accepted transition of the same execution before this
		// one, and the first after it.
		before, after := -1, -1
		for j := i - 1; j >= 0; j-- {
			if accepted[j] && txs[j].Execution.ID == e.ID {
				before = j
				break
			}
		}
		for j := i + 1; j < len(txs); j++ {
			if accepted[j] && txs[j].Execution.ID == e.ID {
				after = j
				break
			}
		}
		switch {
		case t.Create && (before >= 0 || after >= 0 && !txs[after].Create):
			results[i].Err = contract.ErrExecutionExists(e.ID)
		case !t.Create && before >= 0:
			results[i].Err = refuseUpdate(t, txs[before].Execution.Seq)
		case !t.Create && after >= 0 && txs[after].Create:
			results[i].Err = contract.ErrExecutionNotFound(e.ID)
		case !t.Create && after >= 0:
			results[i].Err = refuseUpdate(t, txs[after].ExpectedSeq)
		default:
			st := &state{}
			states[i] = st
			if after < 0 { // else a later create of the id was accepted: it was free
				b.Queue(sqlSelectExecutionState, e.ID).QueryRow(func(row pgx.Row) error {
					var tenant, key string
					err := row.Scan(&st.seq, &tenant, &key)
					if errors.Is(err, pgx.ErrNoRows) {
						return nil
					}
					st.found = err == nil
					return err
				})
			}
			if t.Create {
				b.Queue(sqlSelectExecutionByKey, e.TenantID, e.IdempotencyKey).QueryRow(func(row pgx.Row) error {
					err := row.Scan(&st.keyOwner)
					if errors.Is(err, pgx.ErrNoRows) {
						return nil
					}
					st.keyOwnerFound = err == nil
					return err
				})
			}
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("read refused executions: %w", err)
	}
	for i, st := range states {
		e := txs[i].Execution
		switch {
		case !txs[i].Create && !st.found:
			results[i].Err = contract.ErrExecutionNotFound(e.ID)
		case !txs[i].Create:
			results[i].Err = refuseUpdate(txs[i], st.seq)
		case st.found:
			results[i].Err = contract.ErrExecutionExists(e.ID)
		case st.keyOwnerFound:
			results[i].Err = contract.ErrKeyTaken(e.TenantID, e.IdempotencyKey, st.keyOwner)
		default:
			return fmt.Errorf("insert execution %s: no row inserted and no conflict found", e.ID)
		}
	}
	return nil
}

// refuseUpdate returns why an update of an execution whose stored seq is
// found was refused: the seq moved, or else (the UPDATE also matches the
// tenant and idempotency key) the transition would change them.
func refuseUpdate(t *runbook.Transition, found int64) error {
	if found != t.ExpectedSeq {
		return contract.ErrStale(t.Execution.ID, t.ExpectedSeq, found)
	}
	return contract.ErrIdentityChanged(t.Execution.ID)
}

// matchLockKey is the transaction-level advisory lock that makes a wait
// for an event and the delivery of a matching event see each other.
//
// DeliverEvent inserts the event and then reads the matching waits;
// Commit inserts a wait and then reads the matching inbox events. Under
// READ COMMITTED, two such transactions running at once could each miss
// the other's uncommitted row, and the event would never reach the wait.
// Both take this lock, keyed by (tenant, type, correlation id), before
// their read, and hold it until they commit: the one that gets it second
// reads after the first committed and sees its row. Unrelated events and
// waits take other keys and do not wait for each other.
func matchLockKey(tenant, typ, correlation string) int64 {
	h := fnv.New64a()
	h.Write([]byte("runbook inbox\x00" + tenant + "\x00" + typ + "\x00" + correlation))
	return int64(h.Sum64())
}

// matchLockKeys returns the advisory locks of the inbox matches of the
// batch, sorted: every committer takes them in the same order, so two
// batches never wait for each other's locks in a cycle.
func matchLockKeys(txs []*runbook.Transition, events [][][]byte) []int64 {
	var keys []int64
	for i, t := range txs {
		if events[i] == nil {
			continue
		}
		for _, q := range t.MatchInbox {
			keys = append(keys, matchLockKey(q.TenantID, q.Type, q.CorrelationID))
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// encodeEvents encodes the transition's events as stored; an event that
// cannot be encoded refuses the transition.
func encodeEvents(t *runbook.Transition) ([][]byte, error) {
	if len(t.EncodedEvents) == len(t.Events) {
		return t.EncodedEvents, nil
	}
	out := make([][]byte, len(t.Events))
	for i := range t.Events {
		b, err := json.Marshal(&t.Events[i])
		if err != nil {
			return nil, &runbook.Error{
				Code:    runbook.EINVALID,
				Message: fmt.Sprintf("execution %q: event %d cannot be stored as JSON", t.Execution.ID, t.Events[i].Seq),
				Err:     err,
			}
		}
		out[i] = b
	}
	return out, nil
}

// checkTransitionText refuses a transition with a string PostgreSQL
// cannot store in a text column (see storable): written in a batch, it
// would fail every transition of the batch.
func checkTransitionText(t *runbook.Transition) error {
	e := t.Execution
	what := fmt.Sprintf("execution %q", e.ID)
	if err := checkText(what, e.ID, e.RunbookID, e.RunbookVersion, e.TenantID, e.IdempotencyKey, e.ParentID, string(e.Status)); err != nil {
		return err
	}
	for i := range t.Events {
		if err := checkText(what+": event", string(t.Events[i].Type), t.Events[i].StepID); err != nil {
			return err
		}
	}
	for _, st := range t.Steps {
		if err := checkText(what+": step row", st.StepID, string(st.Status)); err != nil {
			return err
		}
	}
	for _, tk := range t.PutTasks {
		if err := checkText(what+": task", tk.ExecutionID, tk.Key, string(tk.Kind), tk.StepID, string(tk.Timer), tk.Owner); err != nil {
			return err
		}
	}
	for _, r := range t.DeleteTasks {
		if err := checkText(what+": task", r.ExecutionID, r.Key); err != nil {
			return err
		}
	}
	for _, w := range t.PutWaits {
		if err := checkText(what+": wait", w.ExecutionID, w.StepID, string(w.Kind), w.TenantID, w.EventType, w.CorrelationID); err != nil {
			return err
		}
		if err := checkText(what+": wait approver", w.Approvers...); err != nil {
			return err
		}
	}
	for _, r := range t.DeleteWaits {
		if err := checkText(what+": wait", r.ExecutionID, r.StepID); err != nil {
			return err
		}
	}
	for _, q := range t.MatchInbox {
		if err := checkText(what+": inbox query", q.TenantID, q.Type, q.CorrelationID); err != nil {
			return err
		}
	}
	return nil
}
