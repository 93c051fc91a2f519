package postgres

import (
	"context"
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
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// maxCommitAttempts bounds how often Commit runs a batch again after
// PostgreSQL aborted it for a deadlock (two nodes locking the same rows in
// opposite orders): the abort rolled everything back, so running it again
// is safe.
const maxCommitAttempts = 5

// Commit applies transitions in order in one database transaction. A
// transition that is refused (stale, conflicting, invalid) writes nothing
// and the others go on; a database failure rolls the whole batch back.
//
// Each transition's execution row is written first, by an INSERT or by an
// optimistic UPDATE (WHERE seq = ExpectedSeq) that refuses the transition
// when it changes no row; the rest of a refused transition is not written.
// The rows written stay locked until the commit, so nobody changes them in
// between: other processes' commits of the same executions wait, then
// find the new seq and are refused with ESTALE. How the batch travels to
// the server:
//
//   - Optimistically, in one round trip: BEGIN, the advisory locks of the
//     inbox matches (see matchLockKey), the execution rows with one
//     statement per kind that fails unless it wrote a row for every
//     transition, the other rows with one statement per table for the
//     whole batch (see rowBatch), the inbox matches and COMMIT, pipelined.
//     Refusals are rare (another node got to an execution first), so this
//     is nearly always all.
//   - When that check fails, or when two transitions of the batch change
//     one execution (the check cannot tell them apart), in two round
//     trips: the execution rows, whose row counts say which transitions
//     are refused (a third round trip finds out why), then the rows of the
//     accepted ones and COMMIT.
//
// Commit does not write a batch while the previous one is being committed
// (runbook.PipelinedCommitter): on PostgreSQL that halves the batches the
// engine gathers, and the server's work per transition nearly doubles
// with the statements per batch.
func (s *Store) Commit(ctx context.Context, txs []*runbook.Transition) ([]runbook.CommitResult, error) {
	results, events, err := s.prepareCommit(ctx, txs)
	if err != nil || len(txs) == 0 {
		return results, err
	}
	if repeatsExecution(txs, events) {
		err = s.commitChecked(ctx, txs, events, results)
	} else {
		err = s.commitOptimistic(ctx, txs, events, results)
	}
	for attempt := 1; err != nil && attempt < maxCommitAttempts && (refused(err) || retryable(err)); attempt++ {
		// Someone got to an execution first, or PostgreSQL broke a
		// deadlock by rolling this batch back: find out which transitions
		// stand, one by one.
		resetResults(results, events)
		err = s.commitChecked(ctx, txs, events, results)
	}
	if err != nil {
		return nil, failure("commit", err)
	}
	return results, nil
}

// repeatsExecution reports whether two transitions of the batch change
// the same execution, which the optimistic batch cannot check.
func repeatsExecution(txs []*runbook.Transition, events [][][]byte) bool {
	seen := make(map[string]struct{}, len(txs))
	for i, t := range txs {
		if events[i] == nil {
			continue
		}
		if _, ok := seen[t.Execution.ID]; ok {
			return true
		}
		seen[t.Execution.ID] = struct{}{}
	}
	return false
}

// prepareCommit checks and encodes the transitions of a Commit. A
// transition refused here has its error in results and nil in events; the
// others are written.
func (s *Store) prepareCommit(ctx context.Context, txs []*runbook.Transition) ([]runbook.CommitResult, [][][]byte, error) {
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	results := make([]runbook.CommitResult, len(txs))
	events := make([][][]byte, len(txs))
	for i, t := range txs {
		err := contract.CheckTransition(t)
		if err == nil {
			err = checkTransitionText(t)
		}
		if err == nil {
			events[i], err = sqlrow.EncodeEvents(t)
		}
		if err != nil {
			results[i].Err = err
			continue
		}
		if events[i] == nil {
			events[i] = [][]byte{}
		}
	}
	return results, events, nil
}

// resetResults forgets the outcome of a failed attempt.
func resetResults(results []runbook.CommitResult, events [][][]byte) {
	for i := range results {
		if events[i] != nil {
			results[i] = runbook.CommitResult{}
		}
	}
}

// retryable reports an error after which PostgreSQL rolled the
// transaction back on its own and running it again may succeed.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// refusedCode is the SQLSTATE of runbook_expect_rows (see the migrations):
// an optimistic batch wrote fewer execution rows than it has transitions.
const refusedCode = "RB001"

// refused reports the failure of an optimistic batch with a refusal in it.
func refused(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == refusedCode
}

// commitOptimistic writes the whole batch in one round trip, assuming
// that no transition is refused. When one is, it fails with an error for
// which refused is true and nothing is written. events[i] is nil for the
// transitions refused before.
func (s *Store) commitOptimistic(ctx context.Context, txs []*runbook.Transition, events [][][]byte, results []runbook.CommitResult) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	b := beginCommit(txs, events)
	accepted := make([]bool, len(txs))
	var creates, updates execColumns
	for i, t := range txs {
		if events[i] == nil {
			continue
		}
		accepted[i] = true
		if t.Create {
			creates.add(t)
		} else {
			updates.add(t)
		}
	}
	if n := len(creates.id); n > 0 {
		c := &creates
		b.Queue(sqlCreateExecutions, c.id, c.runbookID, c.runbookVersion, c.tenantID, c.key, c.parentID, c.status,
			c.seq, c.createdAt, c.updatedAt, c.data, c.static, n, c.versions)
	}
	if n := len(updates.id); n > 0 {
		u := &updates
		b.Queue(sqlUpdateExecutions, u.id, u.status, u.seq, u.updatedAt, u.data, u.expected, u.tenantID, u.key, u.deferred, n)
	}
	queueRows(b, txs, events, accepted, results)
	s.queueNotify(b, txs, accepted)
	b.Queue(sqlCommit)
	return send(ctx, conn, b)
}

// execColumns holds the execution rows of one statement as columns.
type execColumns struct {
	id, runbookID, runbookVersion, tenantID, key, parentID, status []string
	seq, expected, createdAt, updatedAt, versions                  []int64
	data, static                                                   [][]byte
	deferred                                                       []bool
}

func (c *execColumns) add(t *runbook.Transition) {
	e := t.Execution
	c.id = append(c.id, e.ID)
	c.tenantID = append(c.tenantID, e.TenantID)
	c.key = append(c.key, e.IdempotencyKey)
	c.status = append(c.status, string(e.Status))
	c.seq = append(c.seq, e.Seq)
	c.updatedAt = append(c.updatedAt, sqlrow.Micros(e.UpdatedAt))
	c.data = append(c.data, sqlrow.Blob(e.Data))
	if t.Create {
		c.runbookID = append(c.runbookID, e.RunbookID)
		c.runbookVersion = append(c.runbookVersion, e.RunbookVersion)
		c.parentID = append(c.parentID, e.ParentID)
		c.createdAt = append(c.createdAt, sqlrow.Micros(e.CreatedAt))
		c.static = append(c.static, sqlrow.Blob(e.Static))
		c.versions = append(c.versions, int64(t.RunbookVersions))
	} else {
		c.expected = append(c.expected, t.ExpectedSeq)
		c.deferred = append(c.deferred, t.DeferRows)
	}
}

// beginIndexesOnly returns a batch that begins a transaction reading
// through indexes only (see sqlIndexesOnly).
func beginIndexesOnly() *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(sqlBegin)
	b.Queue(sqlIndexesOnly)
	return b
}

// beginCommit returns a batch that begins the transaction of a Commit:
// beginIndexesOnly's, then the advisory locks of its inbox matches (see
// matchLockKey). events[i] is nil for the transitions refused before.
func beginCommit(txs []*runbook.Transition, events [][][]byte) *pgx.Batch {
	b := beginIndexesOnly()
	for _, key := range matchLockKeys(txs, events) {
		b.Queue(sqlLockMatch, key)
	}
	return b
}

// queueExecutionRow queues the INSERT or the optimistic UPDATE of t's
// execution row.
func queueExecutionRow(b *pgx.Batch, t *runbook.Transition) *pgx.QueuedQuery {
	e := t.Execution
	if t.Create {
		return b.Queue(sqlInsertExecution, e.ID, e.RunbookID, e.RunbookVersion, e.TenantID, e.IdempotencyKey,
			e.ParentID, string(e.Status), e.Seq, sqlrow.Micros(e.CreatedAt), sqlrow.Micros(e.UpdatedAt), sqlrow.Blob(e.Data), sqlrow.Blob(e.Static),
			int64(t.RunbookVersions))
	}
	return b.Queue(sqlUpdateExecution, string(e.Status), e.Seq, sqlrow.Micros(e.UpdatedAt), sqlrow.Blob(e.Data),
		e.ID, t.ExpectedSeq, e.TenantID, e.IdempotencyKey, t.DeferRows)
}

// commitChecked writes the batch in two round trips: the execution rows
// one statement per transition, whose row counts say which transitions
// are refused, then the rows of the accepted ones and the commit. events[i]
// is nil for the transitions refused before.
func (s *Store) commitChecked(ctx context.Context, txs []*runbook.Transition, events [][][]byte, results []runbook.CommitResult) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()

	// Round trip 1: the execution rows.
	b := beginCommit(txs, events)
	affected := make([]int64, len(txs))
	for i, t := range txs {
		if events[i] == nil {
			continue
		}
		queueExecutionRow(b, t).Exec(func(ct pgconn.CommandTag) error {
			affected[i] = ct.RowsAffected()
			return nil
		})
	}
	if err := send(ctx, conn, b); err != nil {
		return fmt.Errorf("write execution rows: %w", err)
	}
	accepted := make([]bool, len(txs))
	anyRefused := false
	for i := range txs {
		accepted[i] = events[i] != nil && affected[i] == 1
		anyRefused = anyRefused || (events[i] != nil && !accepted[i])
	}
	if anyRefused {
		if err := explainRefusals(ctx, conn, txs, events, accepted, results); err != nil {
			abandon(ctx, conn)
			return err
		}
	}

	// Round trip 2: every other row, the inbox matches and the commit.
	b = &pgx.Batch{}
	queueRows(b, txs, events, accepted, results)
	s.queueNotify(b, txs, accepted)
	b.Queue(sqlCommit)
	if err := send(ctx, conn, b); err != nil {
		return fmt.Errorf("write rows: %w", err)
	}
	return nil
}

// queueRows queues the row writes and the inbox matches of the accepted
// transitions; the matches' results go to results when the batch is read.
func queueRows(b *pgx.Batch, txs []*runbook.Transition, events [][][]byte, accepted []bool, results []runbook.CommitResult) {
	rows := newRowBatch()
	for i, t := range txs {
		if !accepted[i] {
			continue
		}
		if rows.puts.Conflicts(t) {
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
			b.Queue(sqlMatchInbox, q.TenantID, q.Type, q.CorrelationID, sqlrow.Micros(q.Since)).Query(func(rows pgx.Rows) error {
				list, err := collect(rows, sqlrow.ScanInboxEvent)
				inbox[j] = list
				return err
			})
		}
	}
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

// collect scans every row with scan. It returns an empty slice, not nil,
// when there are none.
func collect[T any](rows pgx.Rows, scan func(sqlrow.Scanner) (*T, error)) ([]*T, error) {
	// Closed on every path: a row that scans but does not decode (say,
	// approvers that are not JSON) must not leave the connection busy.
	defer rows.Close()
	return sqlrow.AppendAll([]*T{}, rows, scan)
}

// explainRefusals finds out why each transition whose execution row was
// not written was refused, and sets its result. What the earlier and later
// transitions of the batch did to the same execution tells it exactly
// (the row is locked by this transaction once written); otherwise the
// stored row does, read in one more round trip.
func explainRefusals(ctx context.Context, conn *pgxpool.Conn, txs []*runbook.Transition, events [][][]byte, accepted []bool, results []runbook.CommitResult) error {
	type state struct {
		found         bool // the execution row exists
		row           storedRow
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
			prev := txs[before].Execution
			results[i].Err = refuseUpdate(t, storedRow{prev.Seq, prev.Status, prev.TenantID, prev.IdempotencyKey})
		case !t.Create && after >= 0 && txs[after].Create:
			results[i].Err = contract.ErrExecutionNotFound(e.ID)
		case !t.Create && after >= 0:
			// The status before the later transition is its own when it
			// kept it; else it is not known here.
			next := txs[after].Execution
			row := storedRow{seq: txs[after].ExpectedSeq, tenant: next.TenantID, key: next.IdempotencyKey}
			if txs[after].DeferRows {
				row.status = next.Status
			}
			results[i].Err = refuseUpdate(t, row)
		default:
			st := &state{}
			states[i] = st
			if after < 0 { // else a later create of the id was accepted: it was free
				b.Queue(sqlSelectExecutionState, e.ID).QueryRow(func(row pgx.Row) error {
					err := row.Scan(&st.row.seq, &st.row.status, &st.row.tenant, &st.row.key)
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
			results[i].Err = refuseUpdate(txs[i], st.row)
		case st.found:
			results[i].Err = contract.ErrExecutionExists(e.ID)
		case st.keyOwnerFound:
			results[i].Err = contract.ErrKeyTaken(e.TenantID, e.IdempotencyKey, st.keyOwner)
		case txs[i].RunbookVersions > 0:
			results[i].Err = contract.ErrRunbookChanged(e.ID, e.RunbookID, txs[i].RunbookVersions, -1)
		default:
			return fmt.Errorf("insert execution %s: no row inserted and no conflict found", e.ID)
		}
	}
	return nil
}

// storedRow is what a refused update is compared with: the execution
// row as it stood (status "" when not known).
type storedRow struct {
	seq         int64
	status      runbook.ExecutionStatus
	tenant, key string
}

// refuseUpdate returns why an update of an execution whose row stood as
// found was refused: the seq moved, the transition would change the
// tenant or idempotency key, or else (a transition with DeferRows) the
// status.
func refuseUpdate(t *runbook.Transition, found storedRow) error {
	e := t.Execution
	switch {
	case found.seq != t.ExpectedSeq:
		return contract.ErrStale(e.ID, t.ExpectedSeq, found.seq)
	case found.tenant != e.TenantID || found.key != e.IdempotencyKey || !t.DeferRows:
		return contract.ErrIdentityChanged(e.ID)
	}
	return contract.ErrDeferredStatus(e.ID, found.status, e.Status)
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

// checkTransitionText refuses a transition with a string PostgreSQL
// cannot store in a text column (see storable): written in a batch, it
// would fail every transition of the batch.
func checkTransitionText(t *runbook.Transition) error {
	e := t.Execution
	ok := storable(e.ID) && storable(e.RunbookID) && storable(e.RunbookVersion) && storable(e.TenantID) &&
		storable(e.IdempotencyKey) && storable(e.ParentID) && storable(string(e.Status))
	for i := 0; ok && i < len(t.Events); i++ {
		ok = storable(string(t.Events[i].Type)) && storable(t.Events[i].StepID)
	}
	for i := 0; ok && i < len(t.Steps); i++ {
		ok = storable(t.Steps[i].StepID) && storable(string(t.Steps[i].Status))
	}
	for i := 0; ok && i < len(t.PutTasks); i++ {
		tk := t.PutTasks[i]
		ok = storable(tk.ExecutionID) && storable(tk.Key) && storable(string(tk.Kind)) && storable(tk.StepID) &&
			storable(string(tk.Timer)) && storable(tk.Owner)
	}
	for i := 0; ok && i < len(t.DeleteTasks); i++ {
		ok = storable(t.DeleteTasks[i].ExecutionID) && storable(t.DeleteTasks[i].Key)
	}
	for i := 0; ok && i < len(t.PutWaits); i++ {
		w := t.PutWaits[i]
		ok = storable(w.ExecutionID) && storable(w.StepID) && storable(string(w.Kind)) && storable(w.TenantID) &&
			storable(w.EventType) && storable(w.CorrelationID)
		for j := 0; ok && j < len(w.Approvers); j++ {
			ok = storable(w.Approvers[j])
		}
	}
	for i := 0; ok && i < len(t.DeleteWaits); i++ {
		ok = storable(t.DeleteWaits[i].ExecutionID) && storable(t.DeleteWaits[i].StepID)
	}
	for i := 0; ok && i < len(t.MatchInbox); i++ {
		q := t.MatchInbox[i]
		ok = storable(q.TenantID) && storable(q.Type) && storable(q.CorrelationID)
	}
	if ok {
		return nil
	}
	return runbook.Errorf(runbook.EINVALID,
		"execution %q: the transition has a name or id that is not valid UTF-8 text without NUL characters", e.ID)
}

// DefersRows reports that the store accepts Transition.DeferRows: the
// execution row's document is then kept, while its seq, time and status
// are written as always (the UPDATE is the optimistic check).
func (s *Store) DefersRows() bool { return true }
