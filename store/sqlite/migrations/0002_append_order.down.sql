-- Back to the layout of 0001: history and steps keyed by execution id.

CREATE TABLE history_old (
    execution_id TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    type         TEXT    NOT NULL,
    step_id      TEXT    NOT NULL,
    event_time   INTEGER NOT NULL,
    event        BLOB    NOT NULL,
    PRIMARY KEY (execution_id, seq)
) WITHOUT ROWID;
INSERT INTO history_old (execution_id, seq, type, step_id, event_time, event)
SELECT e.id, h.seq, h.type, h.step_id, h.event_time, h.event
FROM history h JOIN executions e ON e.pk = h.execution_pk;
DROP TABLE history;
ALTER TABLE history_old RENAME TO history;

CREATE TABLE steps_old (
    execution_id TEXT    NOT NULL,
    step_id      TEXT    NOT NULL,
    iteration    INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    data         BLOB,
    PRIMARY KEY (execution_id, step_id, iteration)
) WITHOUT ROWID;
INSERT INTO steps_old (execution_id, step_id, iteration, status, data)
SELECT e.id, s.step_id, s.iteration, s.status, s.data
FROM steps s JOIN executions e ON e.pk = s.execution_pk;
DROP TABLE steps;
ALTER TABLE steps_old RENAME TO steps;

CREATE TABLE executions_old (
    id              TEXT    NOT NULL PRIMARY KEY,
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
    static          BLOB
);
INSERT INTO executions_old (rowid, id, runbook_id, runbook_version, tenant_id, idempotency_key, parent_id, status, seq,
                            created_at, updated_at, data, static)
SELECT pk, id, runbook_id, runbook_version, tenant_id, idempotency_key, parent_id, status, seq,
       created_at, updated_at, data, static
FROM executions;
DROP TABLE executions;
ALTER TABLE executions_old RENAME TO executions;
CREATE UNIQUE INDEX executions_by_key ON executions (tenant_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX executions_by_runbook ON executions (runbook_id, id);
CREATE INDEX executions_by_status ON executions (status, id);
CREATE INDEX executions_by_tenant ON executions (tenant_id, id);
