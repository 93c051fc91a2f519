package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/runbookhq/runbook"
)

// micros is how a time is stored: bigint microseconds since the Unix
// epoch, as in the SQLite store. The zero time.Time maps to a large
// negative number, which sorts before any real time and converts back to
// the zero time.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros converts a stored time back, in UTC.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// blob returns b as stored: nil (NULL) when empty.
func blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// unblob returns a stored blob: nil when empty or NULL. pgx copies what it
// scans into a []byte out of the connection's buffer.
func unblob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// storable reports whether PostgreSQL can store s in a text column: it
// must be valid UTF-8 without NUL characters. SQLite stores any string;
// checking here refuses one operation instead of failing a whole batch.
func storable(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// checkText returns an EINVALID error naming the first string that
// PostgreSQL cannot store, or nil.
func checkText(what string, ss ...string) error {
	for _, s := range ss {
		if !storable(s) {
			return runbook.Errorf(runbook.EINVALID, "%s: %q is not valid UTF-8 text without NUL characters", what, s)
		}
	}
	return nil
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface {
	Scan(dest ...any) error
}

const runbookColumns = `id, version, name, description, step_count, definition, hash, created_at`

func scanRunbook(sc scanner) (*runbook.RunbookRecord, error) {
	var r runbook.RunbookRecord
	var created int64
	if err := sc.Scan(&r.ID, &r.Version, &r.Name, &r.Description, &r.StepCount, &r.Definition, &r.Hash, &created); err != nil {
		return nil, err
	}
	r.Definition = unblob(r.Definition)
	r.CreatedAt = fromMicros(created)
	return &r, nil
}

const executionColumns = `id, runbook_id, runbook_version, tenant_id, idempotency_key, parent_id, status, seq, created_at, updated_at, data, static`

func scanExecution(sc scanner) (*runbook.ExecutionRecord, error) {
	var e runbook.ExecutionRecord
	var created, updated int64
	if err := sc.Scan(&e.ID, &e.RunbookID, &e.RunbookVersion, &e.TenantID, &e.IdempotencyKey, &e.ParentID,
		&e.Status, &e.Seq, &created, &updated, &e.Data, &e.Static); err != nil {
		return nil, err
	}
	e.CreatedAt = fromMicros(created)
	e.UpdatedAt = fromMicros(updated)
	e.Data = unblob(e.Data)
	e.Static = unblob(e.Static)
	return &e, nil
}

const stepColumns = `execution_id, step_id, iteration, status, data`

func scanStep(sc scanner) (*runbook.StepRecord, error) {
	var s runbook.StepRecord
	if err := sc.Scan(&s.ExecutionID, &s.StepID, &s.Iteration, &s.Status, &s.Data); err != nil {
		return nil, err
	}
	s.Data = unblob(s.Data)
	return &s, nil
}

const taskColumns = `execution_id, task_key, kind, step_id, iteration, attempt, timer, due_at, owner, lease_expires_at, deliveries, payload`

func scanTask(sc scanner) (*runbook.Task, error) {
	var t runbook.Task
	var due, lease int64
	if err := sc.Scan(&t.ExecutionID, &t.Key, &t.Kind, &t.StepID, &t.Iteration, &t.Attempt, &t.Timer,
		&due, &t.Owner, &lease, &t.Deliveries, &t.Payload); err != nil {
		return nil, err
	}
	t.DueAt = fromMicros(due)
	t.LeaseExpiresAt = fromMicros(lease)
	t.Payload = unblob(t.Payload)
	return &t, nil
}

const waitColumns = `execution_id, step_id, iteration, kind, tenant_id, event_type, correlation_id, approvers, deadline, created_at, since`

func scanWait(sc scanner) (*runbook.Wait, error) {
	var w runbook.Wait
	var approvers []byte
	var deadline, created, since int64
	if err := sc.Scan(&w.ExecutionID, &w.StepID, &w.Iteration, &w.Kind, &w.TenantID, &w.EventType, &w.CorrelationID,
		&approvers, &deadline, &created, &since); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(approvers, &w.Approvers); err != nil {
		return nil, fmt.Errorf("wait %s/%s/%d: decode approvers: %w", w.ExecutionID, w.StepID, w.Iteration, err)
	}
	if len(w.Approvers) == 0 {
		w.Approvers = nil
	}
	w.Deadline = fromMicros(deadline)
	w.CreatedAt = fromMicros(created)
	w.Since = fromMicros(since)
	return &w, nil
}

// approversJSON encodes a wait's approvers for the approvers column.
func approversJSON(a []string) string {
	if len(a) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(a) // a []string always encodes
	return string(b)
}

const inboxColumns = `id, tenant_id, type, correlation_id, payload, received_at`

func scanInboxEvent(sc scanner) (*runbook.InboxEvent, error) {
	var e runbook.InboxEvent
	var received int64
	if err := sc.Scan(&e.ID, &e.TenantID, &e.Type, &e.CorrelationID, &e.Payload, &received); err != nil {
		return nil, err
	}
	e.Payload = unblob(e.Payload)
	e.ReceivedAt = fromMicros(received)
	return &e, nil
}
