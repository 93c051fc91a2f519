-- Initial schema. Times are bigint microseconds since the Unix epoch (UTC);
-- the zero time.Time is -62135596800000000. Byte columns are NULL when
-- empty. Text columns use the "C" collation: ids sort byte by byte, as in
-- the SQLite store, whatever the database's default collation.

CREATE TABLE runbooks (
    pk          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          text    COLLATE "C" NOT NULL,
    version     text    COLLATE "C" NOT NULL,
    name        text    NOT NULL,
    description text    NOT NULL,
    step_count  integer NOT NULL,
    definition  bytea,
    hash        text    NOT NULL,
    created_at  bigint  NOT NULL,
    UNIQUE (id, version)
);
CREATE INDEX runbooks_by_created ON runbooks (id, created_at, pk);

CREATE TABLE executions (
    id              text   COLLATE "C" NOT NULL PRIMARY KEY,
    runbook_id      text   COLLATE "C" NOT NULL,
    runbook_version text   COLLATE "C" NOT NULL,
    tenant_id       text   COLLATE "C" NOT NULL,
    idempotency_key text   COLLATE "C" NOT NULL,
    parent_id       text   COLLATE "C" NOT NULL,
    status          text   COLLATE "C" NOT NULL,
    seq             bigint NOT NULL,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL,
    data            bytea,
    static          bytea -- written at creation only: input and context
) WITH (fillfactor = 80); -- room for HOT updates: the hot path rewrites seq, data, updated_at
CREATE UNIQUE INDEX executions_by_key ON executions (tenant_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX executions_by_runbook ON executions (runbook_id, id);
CREATE INDEX executions_by_status ON executions (status, id);
CREATE INDEX executions_by_tenant ON executions (tenant_id, id);

CREATE TABLE steps (
    execution_id text    COLLATE "C" NOT NULL,
    step_id      text    COLLATE "C" NOT NULL,
    iteration    integer NOT NULL,
    status       text    COLLATE "C" NOT NULL,
    data         bytea,
    PRIMARY KEY (execution_id, step_id, iteration)
) WITH (fillfactor = 80);

CREATE TABLE history (
    execution_id text   COLLATE "C" NOT NULL,
    seq          bigint NOT NULL,
    type         text   COLLATE "C" NOT NULL,
    step_id      text   COLLATE "C" NOT NULL,
    event_time   bigint NOT NULL,
    event        bytea  NOT NULL, -- the whole runbook.Event as JSON
    PRIMARY KEY (execution_id, seq)
);

CREATE TABLE tasks (
    execution_id     text    COLLATE "C" NOT NULL,
    task_key         text    COLLATE "C" NOT NULL,
    kind             text    COLLATE "C" NOT NULL,
    step_id          text    COLLATE "C" NOT NULL,
    iteration        integer NOT NULL,
    attempt          integer NOT NULL,
    timer            text    COLLATE "C" NOT NULL,
    due_at           bigint  NOT NULL,
    owner            text    COLLATE "C" NOT NULL,
    lease_expires_at bigint  NOT NULL,
    deliveries       integer NOT NULL,
    payload          bytea,
    -- When someone other than its owner may claim the task: an unowned
    -- task when it is due, a leased one when it is due and its lease has
    -- expired. Claims and NextDue read this index only, never the tasks
    -- of attempts in flight.
    claimable_at     bigint  GENERATED ALWAYS AS (
        CASE WHEN owner = '' THEN due_at ELSE GREATEST(due_at, lease_expires_at) END) STORED,
    PRIMARY KEY (execution_id, task_key)
);
CREATE INDEX tasks_by_claimable ON tasks (claimable_at);

CREATE TABLE waits (
    execution_id   text    COLLATE "C" NOT NULL,
    step_id        text    COLLATE "C" NOT NULL,
    iteration      integer NOT NULL,
    kind           text    COLLATE "C" NOT NULL,
    tenant_id      text    COLLATE "C" NOT NULL,
    event_type     text    COLLATE "C" NOT NULL,
    correlation_id text    COLLATE "C" NOT NULL,
    approvers      jsonb   NOT NULL, -- JSON array of strings
    deadline       bigint  NOT NULL,
    created_at     bigint  NOT NULL,
    since          bigint  NOT NULL,
    PRIMARY KEY (execution_id, step_id, iteration)
);
CREATE INDEX waits_by_event ON waits (tenant_id, event_type, correlation_id);
CREATE INDEX waits_by_created ON waits (created_at);

CREATE TABLE inbox (
    id             text   COLLATE "C" NOT NULL PRIMARY KEY,
    tenant_id      text   COLLATE "C" NOT NULL,
    type           text   COLLATE "C" NOT NULL,
    correlation_id text   COLLATE "C" NOT NULL,
    payload        bytea,
    received_at    bigint NOT NULL
);
CREATE INDEX inbox_by_match ON inbox (tenant_id, type, correlation_id, received_at);

-- runbook_expect_rows fails the statement (and so the transaction) unless
-- it wrote as many rows as it was given: Commit sends a batch whole,
-- assuming that no transition is refused, and this stops it when one is.
CREATE FUNCTION runbook_expect_rows(written bigint, given bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    IF written <> given THEN
        RAISE EXCEPTION 'wrote % of % execution rows: a transition is refused', written, given
            USING ERRCODE = 'RB001';
    END IF;
    RETURN written;
END
$$;
