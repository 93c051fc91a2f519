package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// The statements of the hot paths (Commit, ClaimTasks), prepared once on
// the write connection, on which they run. Every statement is plain SQL
// with ON CONFLICT upserts, as PostgreSQL writes them.
const (
	sqlInsertExecution = `INSERT INTO executions (` + sqlrow.ExecutionColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING`

	// An update sets only the columns that change, so that indexes on the
	// others are not rewritten: SQLite rewrites the entry of every index
	// on a column the SET clause names, changed or not, and
	// executions_by_status would cost every commit a page. The committer
	// has checked the seq and the identity (see committer.current).
	sqlUpdateExecution = `UPDATE executions SET status = ?, seq = ?, updated_at = ?, data = ? WHERE pk = ? AND id = ?`

	sqlUpdateExecutionSameStatus = `UPDATE executions SET seq = ?, updated_at = ?, data = ? WHERE pk = ? AND id = ?`

	// sqlSelectExecutionCurrent reads what the write path checks of an
	// execution: its seq is its last event's, which is newer than the
	// row's after transitions with DeferRows.
	sqlSelectExecutionCurrent = `SELECT pk, status, tenant_id, idempotency_key,
    MAX(seq, COALESCE((SELECT MAX(h.seq) FROM history h WHERE h.execution_pk = executions.pk), 0))
FROM executions WHERE id = ?`

	// sqlCurrentExecutionColumns reads as sqlrow.ExecutionColumns, with
	// the seq and updated_at of the execution's last event when it is
	// newer than the row (transitions with DeferRows append events
	// without writing the row). Both walk history_by_execution backwards
	// from the execution's last entry.
	sqlCurrentExecutionColumns = `id, runbook_id, runbook_version, tenant_id, idempotency_key, parent_id, status,
    COALESCE((SELECT h.seq FROM history h WHERE h.execution_pk = executions.pk AND h.seq > executions.seq
        ORDER BY h.seq DESC LIMIT 1), seq),
    created_at,
    COALESCE((SELECT h.event_time FROM history h WHERE h.execution_pk = executions.pk AND h.seq > executions.seq
        ORDER BY h.seq DESC LIMIT 1), updated_at),
    data, static`

	sqlSelectExecutionPK = `SELECT pk FROM executions WHERE id = ?`

	sqlSelectExecutionByKey = `SELECT id FROM executions WHERE tenant_id = ? AND idempotency_key = ? AND idempotency_key <> ''`

	sqlMatchInbox = `SELECT ` + sqlrow.InboxColumns + ` FROM inbox
WHERE tenant_id = ? AND type = ? AND correlation_id = ? AND received_at >= ?
ORDER BY received_at, id`

	// A claimable task is due and unowned or under an expired lease. The
	// subquery walks tasks_by_due from the earliest due time and stops after
	// limit claimable rows; it skips only tasks under a live lease.
	// sqlCountRunbookVersions checks Transition.RunbookVersions.
	sqlCountRunbookVersions = `SELECT count(*) FROM runbooks WHERE id = ?`

	sqlClaimTasks = `UPDATE tasks SET owner = ?, lease_expires_at = ?, deliveries = deliveries + 1
WHERE (execution_id, task_key) IN (
    SELECT execution_id, task_key FROM tasks
    WHERE due_at <= ? AND (owner = '' OR lease_expires_at <= ?)
    ORDER BY due_at, execution_id, task_key
    LIMIT ?)
RETURNING ` + sqlrow.TaskColumns
)

// statements are the prepared statements of a Store.
type statements struct {
	insertExecution  *sql.Stmt
	updateExecution  *sql.Stmt
	updateSameStatus *sql.Stmt
	executionPK      *sql.Stmt
	executionCurrent *sql.Stmt
	executionByKey   *sql.Stmt
	matchInbox       *sql.Stmt
	claimTasks       *sql.Stmt
	runbookVersions  *sql.Stmt
}

// preparer prepares statements: the write connection.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// prepare prepares every statement on db.
func prepare(ctx context.Context, db preparer) (*statements, error) {
	st := &statements{}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.insertExecution, sqlInsertExecution},
		{&st.updateExecution, sqlUpdateExecution},
		{&st.updateSameStatus, sqlUpdateExecutionSameStatus},
		{&st.executionPK, sqlSelectExecutionPK},
		{&st.executionCurrent, sqlSelectExecutionCurrent},
		{&st.executionByKey, sqlSelectExecutionByKey},
		{&st.matchInbox, sqlMatchInbox},
		{&st.claimTasks, sqlClaimTasks},
		{&st.runbookVersions, sqlCountRunbookVersions},
	} {
		s, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("prepare %q: %w", firstLine(p.query), err)
		}
		*p.dst = s
	}
	return st, nil
}

func (st *statements) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{
		st.insertExecution, st.updateExecution, st.updateSameStatus, st.executionPK, st.executionCurrent, st.executionByKey, st.matchInbox, st.claimTasks,
		st.runbookVersions,
	} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}
