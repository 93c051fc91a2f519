package sqlrow

import (
	"encoding/json"
	"fmt"

	"github.com/runbookhq/runbook"
)

// Scanner is one row of a query result: a *sql.Row or *sql.Rows of
// database/sql, or a pgx.Row or pgx.Rows.
type Scanner interface {
	Scan(dest ...any) error
}

// Rows is the result of a query: a *sql.Rows or a pgx.Rows.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// AppendAll scans every remaining row of rows with scan and appends the
// records to dst. It returns the first error of scan or of rows; it does
// not close rows.
func AppendAll[T any](dst []*T, rows Rows, scan func(Scanner) (*T, error)) ([]*T, error) {
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		dst = append(dst, v)
	}
	return dst, rows.Err()
}

// The column lists of the tables, in the order the Scan functions read
// them and the stores' statements write them.
const (
	RunbookColumns = `id, version, name, description, step_count, definition, hash, created_at`
	// RunbookSummaryColumns are RunbookColumns but the definition, for
	// the lists.
	RunbookSummaryColumns = `id, version, name, description, step_count, hash, created_at`
	ExecutionColumns      = `id, runbook_id, runbook_version, tenant_id, idempotency_key, parent_id, status, seq, created_at, updated_at, data, static`
	StepColumns           = `execution_id, step_id, iteration, status, data`
	TaskColumns           = `execution_id, task_key, kind, step_id, iteration, attempt, timer, due_at, owner, lease_expires_at, deliveries, payload`
	WaitColumns           = `execution_id, step_id, iteration, kind, tenant_id, event_type, correlation_id, approvers, deadline, created_at, since`
	InboxColumns          = `id, tenant_id, type, correlation_id, payload, received_at`
)

// ScanRunbook reads a row of RunbookColumns.
func ScanRunbook(sc Scanner) (*runbook.RunbookRecord, error) {
	var r runbook.RunbookRecord
	var created int64
	if err := sc.Scan(&r.ID, &r.Version, &r.Name, &r.Description, &r.StepCount, &r.Definition, &r.Hash, &created); err != nil {
		return nil, err
	}
	r.Definition = Unblob(r.Definition)
	r.CreatedAt = FromMicros(created)
	return &r, nil
}

// ScanRunbookSummary reads a row of RunbookSummaryColumns: a record
// without its definition.
func ScanRunbookSummary(sc Scanner) (*runbook.RunbookRecord, error) {
	var r runbook.RunbookRecord
	var created int64
	if err := sc.Scan(&r.ID, &r.Version, &r.Name, &r.Description, &r.StepCount, &r.Hash, &created); err != nil {
		return nil, err
	}
	r.CreatedAt = FromMicros(created)
	return &r, nil
}

// ScanExecution reads a row of ExecutionColumns.
func ScanExecution(sc Scanner) (*runbook.ExecutionRecord, error) {
	var e runbook.ExecutionRecord
	var created, updated int64
	if err := sc.Scan(&e.ID, &e.RunbookID, &e.RunbookVersion, &e.TenantID, &e.IdempotencyKey, &e.ParentID,
		&e.Status, &e.Seq, &created, &updated, &e.Data, &e.Static); err != nil {
		return nil, err
	}
	e.CreatedAt = FromMicros(created)
	e.UpdatedAt = FromMicros(updated)
	e.Data = Unblob(e.Data)
	e.Static = Unblob(e.Static)
	return &e, nil
}

// ScanStep reads a row of StepColumns.
func ScanStep(sc Scanner) (*runbook.StepRecord, error) {
	var s runbook.StepRecord
	if err := sc.Scan(&s.ExecutionID, &s.StepID, &s.Iteration, &s.Status, &s.Data); err != nil {
		return nil, err
	}
	s.Data = Unblob(s.Data)
	return &s, nil
}

// ScanTask reads a row of TaskColumns.
func ScanTask(sc Scanner) (*runbook.Task, error) {
	var t runbook.Task
	var due, lease int64
	if err := sc.Scan(&t.ExecutionID, &t.Key, &t.Kind, &t.StepID, &t.Iteration, &t.Attempt, &t.Timer,
		&due, &t.Owner, &lease, &t.Deliveries, &t.Payload); err != nil {
		return nil, err
	}
	t.DueAt = FromMicros(due)
	t.LeaseExpiresAt = FromMicros(lease)
	t.Payload = Unblob(t.Payload)
	return &t, nil
}

// ScanWait reads a row of WaitColumns. The approvers column, written by
// ApproversJSON, is scanned as bytes: SQLite's TEXT through database/sql
// and PostgreSQL's jsonb through pgx both scan into a []byte.
func ScanWait(sc Scanner) (*runbook.Wait, error) {
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
	w.Deadline = FromMicros(deadline)
	w.CreatedAt = FromMicros(created)
	w.Since = FromMicros(since)
	return &w, nil
}

// ScanInboxEvent reads a row of InboxColumns.
func ScanInboxEvent(sc Scanner) (*runbook.InboxEvent, error) {
	var e runbook.InboxEvent
	var received int64
	if err := sc.Scan(&e.ID, &e.TenantID, &e.Type, &e.CorrelationID, &e.Payload, &received); err != nil {
		return nil, err
	}
	e.Payload = Unblob(e.Payload)
	e.ReceivedAt = FromMicros(received)
	return &e, nil
}
