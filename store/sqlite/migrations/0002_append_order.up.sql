-- History and step rows are stored in the order they are written, and refer
-- to their execution by a small integer: the rows one commit writes (the
-- latest steps of the executions in flight) then share a few pages at the
-- end of each table instead of dirtying one page per execution, and the
-- indexes that find an execution's rows stay compact. The WAL, flushed on
-- every commit, gets about half the pages it did.

-- An execution's pk may be given again to a later execution once its row is
-- deleted (no AUTOINCREMENT): whatever deletes an execution deletes its
-- history and step rows in the same transaction.
CREATE TABLE executions_new (
    pk              INTEGER PRIMARY KEY, -- referenced by history and steps
    id              TEXT    NOT NULL UNIQUE,
    runbook_id      TEXT    NOT NULL,
    runbook_version TEXT    NOT NULL,
    tenant_id       TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    parent_id       TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    data            BLOB,
    static          BLOB -- written at creation only: input and context
);
INSERT INTO executions_new (pk, id, runbook_id, runbook_version, tenant_id, idempotency_key, parent_id, status, seq,
                            created_at, updated_at, data, static)
SELECT rowid, id, runbook_id, runbook_version, tenant_id, idempotency_key, parent_id, status, seq,
       created_at, updated_at, data, static
FROM executions ORDER BY rowid;
DROP TABLE executions;
ALTER TABLE executions_new RENAME TO executions;
CREATE UNIQUE INDEX executions_by_key ON executions (tenant_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX executions_by_runbook ON executions (runbook_id, id);
CREATE INDEX executions_by_status ON executions (status, id);
CREATE INDEX executions_by_tenant ON executions (tenant_id, id);

CREATE TABLE history_new (
    pk           INTEGER PRIMARY KEY, -- order of writing
    execution_pk INTEGER NOT NULL,    -- executions.pk
    seq          INTEGER NOT NULL,
    type         TEXT    NOT NULL,
    step_id      TEXT    NOT NULL,
    event_time   INTEGER NOT NULL,
    event        BLOB    NOT NULL -- the whole runbook.Event as JSON
);
INSERT INTO history_new (execution_pk, seq, type, step_id, event_time, event)
SELECT e.pk, h.seq, h.type, h.step_id, h.event_time, h.event
FROM history h JOIN executions e ON e.id = h.execution_id
ORDER BY h.event_time, h.execution_id, h.seq;
DROP TABLE history;
ALTER TABLE history_new RENAME TO history;
CREATE UNIQUE INDEX history_by_execution ON history (execution_pk, seq);

CREATE TABLE steps_new (
    pk           INTEGER PRIMARY KEY, -- order of first writing
    execution_pk INTEGER NOT NULL,    -- executions.pk
    step_id      TEXT    NOT NULL,
    iteration    INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    data         BLOB
);
INSERT INTO steps_new (execution_pk, step_id, iteration, status, data)
SELECT e.pk, s.step_id, s.iteration, s.status, s.data
FROM steps s JOIN executions e ON e.id = s.execution_id
ORDER BY e.pk, s.step_id, s.iteration;
DROP TABLE steps;
ALTER TABLE steps_new RENAME TO steps;
CREATE UNIQUE INDEX steps_by_execution ON steps (execution_pk, step_id, iteration);
