-- Initial schema. Times are INTEGER microseconds since the Unix epoch (UTC);
-- the zero time.Time is -62135596800000000. Blobs are NULL when empty.

CREATE TABLE runbooks (
    pk          INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    step_count  INTEGER NOT NULL,
    definition  BLOB,
    hash        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (id, version)
);
CREATE INDEX runbooks_by_created ON runbooks (id, created_at, pk);

CREATE TABLE executions (
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
    static          BLOB -- written at creation only: input and context
);
CREATE UNIQUE INDEX executions_by_key ON executions (tenant_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX executions_by_runbook ON executions (runbook_id, id);
CREATE INDEX executions_by_status ON executions (status, id);
CREATE INDEX executions_by_tenant ON executions (tenant_id, id);

CREATE TABLE steps (
    execution_id TEXT    NOT NULL,
    step_id      TEXT    NOT NULL,
    iteration    INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    data         BLOB,
    PRIMARY KEY (execution_id, step_id, iteration)
) WITHOUT ROWID;

CREATE TABLE history (
    execution_id TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    type         TEXT    NOT NULL,
    step_id      TEXT    NOT NULL,
    event_time   INTEGER NOT NULL,
    event        BLOB    NOT NULL, -- the whole runbook.Event as JSON
    PRIMARY KEY (execution_id, seq)
) WITHOUT ROWID;

CREATE TABLE tasks (
    execution_id     TEXT    NOT NULL,
    task_key         TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    step_id          TEXT    NOT NULL,
    iteration        INTEGER NOT NULL,
    attempt          INTEGER NOT NULL,
    timer            TEXT    NOT NULL,
    due_at           INTEGER NOT NULL,
    owner            TEXT    NOT NULL,
    lease_expires_at INTEGER NOT NULL,
    deliveries       INTEGER NOT NULL,
    payload          BLOB,
    PRIMARY KEY (execution_id, task_key)
);
CREATE INDEX tasks_by_due ON tasks (due_at, execution_id, task_key);

CREATE TABLE waits (
    execution_id   TEXT    NOT NULL,
    step_id        TEXT    NOT NULL,
    iteration      INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    tenant_id      TEXT    NOT NULL,
    event_type     TEXT    NOT NULL,
    correlation_id TEXT    NOT NULL,
    approvers      TEXT    NOT NULL, -- JSON array of strings
    deadline       INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    since          INTEGER NOT NULL,
    PRIMARY KEY (execution_id, step_id, iteration)
);
CREATE INDEX waits_by_event ON waits (tenant_id, event_type, correlation_id);
CREATE INDEX waits_by_created ON waits (created_at);

CREATE TABLE inbox (
    id             TEXT    NOT NULL PRIMARY KEY,
    tenant_id      TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    correlation_id TEXT    NOT NULL,
    payload        BLOB,
    received_at    INTEGER NOT NULL
);
CREATE INDEX inbox_by_match ON inbox (tenant_id, type, correlation_id, received_at);
