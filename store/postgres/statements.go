package postgres

import "github.com/runbookhq/runbook/store/internal/sqlrow"

// The statements of the hot paths. pgx prepares each one on a connection
// the first time it runs there and keeps it (its statement cache), so
// every statement is written once with array parameters instead of one
// text per row count: unnest turns the arrays back into rows, and a batch
// of any size writes each table with one statement.
const (
	sqlBegin  = `BEGIN`
	sqlCommit = `COMMIT`

	// sqlIndexesOnly makes the planner read every table of the transaction
	// through an index, as the commit path is written to. Without it, a
	// plan made while the tables were small (joins with the unnest of a
	// batch, = ANY of its ids) scans them whole, and PostgreSQL keeps
	// using it while they grow, until autovacuum next analyzes them.
	sqlIndexesOnly = `SET LOCAL enable_seqscan = off`

	// The creations insert nothing when the runbook's number of versions
	// is not the one the start saw (Transition.RunbookVersions, 0 for no
	// condition).
	sqlInsertExecution = `INSERT INTO executions (` + sqlrow.ExecutionColumns + `)
SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint, $9::bigint, $10::bigint,
    $11::bytea, $12::bytea
WHERE $13::bigint = 0 OR $13::bigint = (SELECT count(*) FROM runbooks WHERE id = $2::text)
ON CONFLICT DO NOTHING`

	// Only the columns that change are set, so that the indexes on the
	// others are not rewritten (and the update can stay on its page). The
	// tenant and idempotency key are in the WHERE clause: they are fixed at
	// creation, and a mismatch refuses the update without costing a read
	// on the happy path.
	// A transition with DeferRows ($9) keeps the stored document and must
	// keep the status.
	sqlUpdateExecution = `UPDATE executions SET status = $1, seq = $2, updated_at = $3,
    data = CASE WHEN $9::boolean THEN data ELSE $4 END
WHERE id = $5 AND seq = $6 AND tenant_id = $7 AND idempotency_key = $8 AND (NOT $9::boolean OR status = $1)`

	// The optimistic batch (see Commit) writes its execution rows with
	// one statement per kind, which fails with runbook_expect_rows's error
	// unless it wrote a row for each transition. Its ids are distinct, so
	// the update changes each row at most once.
	sqlCreateExecutions = `WITH written AS (
    INSERT INTO executions (` + sqlrow.ExecutionColumns + `)
    SELECT u.id, u.runbook_id, u.runbook_version, u.tenant_id, u.idempotency_key, u.parent_id, u.status, u.seq,
        u.created_at, u.updated_at, u.data, u.static
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::bigint[], $9::bigint[], $10::bigint[], $11::bytea[], $12::bytea[], $14::bigint[])
        AS u (` + sqlrow.ExecutionColumns + `, versions)
    WHERE u.versions = 0 OR u.versions = (SELECT count(*) FROM runbooks r WHERE r.id = u.runbook_id)
    ON CONFLICT DO NOTHING
    RETURNING 1)
SELECT runbook_expect_rows((SELECT count(*) FROM written), $13)`

	sqlUpdateExecutions = `WITH written AS (
    UPDATE executions e SET status = u.status, seq = u.seq, updated_at = u.updated_at,
        data = CASE WHEN u.deferred THEN e.data ELSE u.data END
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bytea[], $6::bigint[], $7::text[], $8::text[],
        $9::boolean[])
        AS u (id, status, seq, updated_at, data, expected, tenant_id, idempotency_key, deferred)
    WHERE e.id = u.id AND e.seq = u.expected AND e.tenant_id = u.tenant_id AND e.idempotency_key = u.idempotency_key
        AND (NOT u.deferred OR e.status = u.status)
    RETURNING 1)
SELECT runbook_expect_rows((SELECT count(*) FROM written), $10)`

	sqlSelectExecutionState = `SELECT seq, status, tenant_id, idempotency_key FROM executions WHERE id = $1`

	sqlSelectExecutionByKey = `SELECT id FROM executions WHERE tenant_id = $1 AND idempotency_key = $2 AND idempotency_key <> ''`

	// sqlLockMatch serializes a transition that parks on an event with
	// DeliverEvent for the same (tenant, type, correlation id); see
	// matchLockKey.
	sqlLockMatch = `SELECT pg_advisory_xact_lock($1)`

	sqlClearTasks = `DELETE FROM tasks WHERE execution_id = ANY($1::text[])`
	sqlClearWaits = `DELETE FROM waits WHERE execution_id = ANY($1::text[])`

	sqlDeleteTasks = `DELETE FROM tasks t USING unnest($1::text[], $2::text[]) AS d (execution_id, task_key)
WHERE t.execution_id = d.execution_id AND t.task_key = d.task_key`

	sqlDeleteWaits = `DELETE FROM waits w USING unnest($1::text[], $2::text[], $3::integer[]) AS d (execution_id, step_id, iteration)
WHERE w.execution_id = d.execution_id AND w.step_id = d.step_id AND w.iteration = d.iteration`

	sqlInsertEvents = `INSERT INTO history (execution_id, seq, type, step_id, event_time, event)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bytea[])`

	sqlUpsertSteps = `INSERT INTO steps (` + sqlrow.StepColumns + `)
SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::bytea[])
ON CONFLICT (execution_id, step_id, iteration) DO UPDATE SET status = excluded.status, data = excluded.data`

	sqlUpsertTasks = `INSERT INTO tasks (` + sqlrow.TaskColumns + `)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::integer[],
    $7::text[], $8::bigint[], $9::text[], $10::bigint[], $11::integer[], $12::bytea[])
ON CONFLICT (execution_id, task_key) DO UPDATE SET
    kind = excluded.kind, step_id = excluded.step_id, iteration = excluded.iteration, attempt = excluded.attempt,
    timer = excluded.timer, due_at = excluded.due_at, owner = excluded.owner,
    lease_expires_at = excluded.lease_expires_at, deliveries = excluded.deliveries, payload = excluded.payload`

	// Approvers travel as JSON text, one per wait: an array of arrays
	// would not unnest into one list per row.
	sqlUpsertWaits = `INSERT INTO waits (` + sqlrow.WaitColumns + `)
SELECT e, s, i, k, tn, et, c, a::jsonb, dl, cr, sn
FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::bigint[], $10::bigint[], $11::bigint[]) AS r (e, s, i, k, tn, et, c, a, dl, cr, sn)
ON CONFLICT (execution_id, step_id, iteration) DO UPDATE SET
    kind = excluded.kind, tenant_id = excluded.tenant_id, event_type = excluded.event_type,
    correlation_id = excluded.correlation_id, approvers = excluded.approvers, deadline = excluded.deadline,
    created_at = excluded.created_at, since = excluded.since`

	sqlMatchInbox = `SELECT ` + sqlrow.InboxColumns + ` FROM inbox
WHERE tenant_id = $1 AND type = $2 AND correlation_id = $3 AND received_at >= $4
ORDER BY received_at, id`

	sqlInsertInbox = `INSERT INTO inbox (` + sqlrow.InboxColumns + `) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`

	sqlEventWaits = `SELECT ` + sqlrow.WaitColumns + ` FROM waits
WHERE kind = $1 AND tenant_id = $2 AND event_type = $3 AND correlation_id = $4
ORDER BY created_at, execution_id, step_id, iteration`

	// A claimable task is due and unowned or under an expired lease: its
	// claimable_at has passed. The subquery walks tasks_by_claimable from
	// the task that became claimable first and stops after limit rows, so
	// that neither the leased tasks of attempts in flight nor the number
	// of tasks claimable at once cost anything, whatever plan statistics
	// the server has (an unowned task becomes claimable when it is due, so
	// those are claimed earliest due first, as in the other stores). FOR
	// UPDATE SKIP LOCKED passes over rows another claimer (or a commit)
	// holds, so concurrent claimers on any number of nodes never get the
	// same task and never wait for each other; a row skipped because a
	// claim is in flight is not claimable anyway once that claim commits.
	sqlClaimTasks = `WITH claimable AS (
    SELECT execution_id, task_key FROM tasks
    WHERE claimable_at <= $3
    ORDER BY claimable_at, due_at, execution_id, task_key
    LIMIT $4
    FOR UPDATE SKIP LOCKED)
UPDATE tasks t SET owner = $1, lease_expires_at = $2, deliveries = t.deliveries + 1
FROM claimable c
WHERE t.execution_id = c.execution_id AND t.task_key = c.task_key
RETURNING t.execution_id, t.task_key, t.kind, t.step_id, t.iteration, t.attempt, t.timer, t.due_at, t.owner,
    t.lease_expires_at, t.deliveries, t.payload`

	sqlNextDue = `SELECT MIN(claimable_at) FROM tasks`

	sqlExtendLeases = `UPDATE tasks SET lease_expires_at = $1 WHERE owner = $2`

	// The releases notify the other stores of the schema when they gave
	// back a lease (see WatchTasks), in the same statement.
	sqlReleaseLeases = `WITH released AS (
    UPDATE tasks SET owner = '', lease_expires_at = $1 WHERE owner = $2 RETURNING 1)
SELECT pg_notify($3, $4) WHERE EXISTS (SELECT 1 FROM released)`

	sqlReleaseAllLeases = `WITH released AS (
    UPDATE tasks SET owner = '', lease_expires_at = $1 WHERE owner <> '' RETURNING 1)
SELECT pg_notify($2, $3) WHERE EXISTS (SELECT 1 FROM released)`
)
