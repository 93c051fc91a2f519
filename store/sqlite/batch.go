package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"strings"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/pending"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// rowBatch collects the row writes of the transitions of one Commit so
// that each table gets one multi-row statement instead of one statement per
// row: with the per-statement cost of the driver, a batch of 64
// transitions goes from about 450 statements to about 70.
//
// The optimistic check (the executions UPDATE) stays per transition. The
// rows of accepted transitions wait here; they are written in the order
// clear, delete, insert, upsert, which equals the sequential order unless
// a transition deletes (or clears) something a pending one puts: the batch
// is flushed before such a transition (see pending.Puts.Conflicts).
type rowBatch struct {
	puts     pending.Puts // the positions of stepRows, taskRows and waitRows
	clears   []string
	delTasks []runbook.TaskRef
	delWaits []runbook.WaitRef
	events   [][]any
	stepRows [][]any
	taskRows [][]any
	waitRows [][]any
}

func newRowBatch() *rowBatch {
	return &rowBatch{puts: pending.New()}
}

func (b *rowBatch) empty() bool {
	return len(b.clears) == 0 && len(b.delTasks) == 0 && len(b.delWaits) == 0 && len(b.events) == 0 &&
		len(b.stepRows) == 0 && len(b.taskRows) == 0 && len(b.waitRows) == 0
}

// add queues the rows of an accepted transition of the execution whose pk
// is pk.
func (b *rowBatch) add(t *runbook.Transition, pk int64, events [][]byte) {
	e := t.Execution
	if t.ClearAll {
		b.clears = append(b.clears, e.ID)
	}
	b.delTasks = append(b.delTasks, t.DeleteTasks...)
	b.delWaits = append(b.delWaits, t.DeleteWaits...)
	for i := range t.Events {
		ev := &t.Events[i]
		b.events = append(b.events, []any{pk, ev.Seq, string(ev.Type), ev.StepID, sqlrow.Micros(ev.Time), events[i]})
	}
	for _, st := range t.Steps {
		row := []any{pk, st.StepID, st.Iteration, string(st.Status), sqlrow.Blob(st.Data)}
		if i, ok := b.puts.Step(pending.StepRef{ExecutionID: e.ID, StepID: st.StepID, Iteration: st.Iteration}, len(b.stepRows)); ok {
			b.stepRows[i] = row
			continue
		}
		b.stepRows = append(b.stepRows, row)
	}
	for _, tk := range t.PutTasks {
		row := []any{tk.ExecutionID, tk.Key, string(tk.Kind), tk.StepID, tk.Iteration, tk.Attempt,
			string(tk.Timer), sqlrow.Micros(tk.DueAt), tk.Owner, sqlrow.Micros(tk.LeaseExpiresAt), tk.Deliveries, sqlrow.Blob(tk.Payload)}
		if i, ok := b.puts.Task(runbook.TaskRef{ExecutionID: tk.ExecutionID, Key: tk.Key}, len(b.taskRows)); ok {
			b.taskRows[i] = row
			continue
		}
		b.taskRows = append(b.taskRows, row)
	}
	for _, w := range t.PutWaits {
		row := []any{w.ExecutionID, w.StepID, w.Iteration, string(w.Kind), w.TenantID, w.EventType,
			w.CorrelationID, sqlrow.ApproversJSON(w.Approvers), sqlrow.Micros(w.Deadline), sqlrow.Micros(w.CreatedAt), sqlrow.Micros(w.Since)}
		if i, ok := b.puts.Wait(runbook.WaitRef{ExecutionID: w.ExecutionID, StepID: w.StepID, Iteration: w.Iteration}, len(b.waitRows)); ok {
			b.waitRows[i] = row
			continue
		}
		b.waitRows = append(b.waitRows, row)
	}
}

// flush writes the queued rows and empties the batch.
func (b *rowBatch) flush(ctx context.Context, m *multiStatements) error {
	if b.empty() {
		return nil
	}
	clears := make([][]any, len(b.clears))
	for i, id := range b.clears {
		clears[i] = []any{id}
	}
	delTasks := make([][]any, len(b.delTasks))
	for i, r := range b.delTasks {
		delTasks[i] = []any{r.ExecutionID, r.Key}
	}
	delWaits := make([][]any, len(b.delWaits))
	for i, r := range b.delWaits {
		delWaits[i] = []any{r.ExecutionID, r.StepID, r.Iteration}
	}
	for _, w := range []struct {
		kind multiKind
		rows [][]any
	}{
		{clearTasks, clears}, {clearWaits, clears}, {deleteTasks, delTasks}, {deleteWaits, delWaits},
		{insertEvents, b.events}, {upsertSteps, b.stepRows}, {upsertTasks, b.taskRows}, {upsertWaits, b.waitRows},
	} {
		if err := m.exec(ctx, w.kind, w.rows); err != nil {
			return err
		}
	}
	*b = *newRowBatch()
	return nil
}

// multiKind names a multi-row statement.
type multiKind int

const (
	clearTasks multiKind = iota
	clearWaits
	deleteTasks
	deleteWaits
	insertEvents
	upsertSteps
	upsertTasks
	upsertWaits
	multiKinds
)

// maxRows bounds the rows of one statement (SQLite allows 32,766 bound
// parameters; the widest row has 12). It is a power of two.
const maxRows = 128

// multiSQL returns the statement of kind for n rows.
func multiSQL(kind multiKind, n int) string {
	values := func(width int) string {
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
		return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	}
	placeholders := strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
	switch kind {
	case clearTasks:
		return `DELETE FROM tasks WHERE execution_id IN (` + placeholders + `)`
	case clearWaits:
		return `DELETE FROM waits WHERE execution_id IN (` + placeholders + `)`
	case deleteTasks:
		return `DELETE FROM tasks WHERE (execution_id, task_key) IN (VALUES ` + values(2) + `)`
	case deleteWaits:
		return `DELETE FROM waits WHERE (execution_id, step_id, iteration) IN (VALUES ` + values(3) + `)`
	case insertEvents:
		return `INSERT INTO history (execution_pk, seq, type, step_id, event_time, event) VALUES ` + values(6)
	case upsertSteps:
		return `INSERT INTO steps (execution_pk, step_id, iteration, status, data) VALUES ` + values(5) + `
ON CONFLICT (execution_pk, step_id, iteration) DO UPDATE SET status = excluded.status, data = excluded.data`
	case upsertTasks:
		return `INSERT INTO tasks (` + sqlrow.TaskColumns + `) VALUES ` + values(12) + `
ON CONFLICT (execution_id, task_key) DO UPDATE SET
    kind = excluded.kind, step_id = excluded.step_id, iteration = excluded.iteration, attempt = excluded.attempt,
    timer = excluded.timer, due_at = excluded.due_at, owner = excluded.owner,
    lease_expires_at = excluded.lease_expires_at, deliveries = excluded.deliveries, payload = excluded.payload`
	case upsertWaits:
		return `INSERT INTO waits (` + sqlrow.WaitColumns + `) VALUES ` + values(11) + `
ON CONFLICT (execution_id, step_id, iteration) DO UPDATE SET
    kind = excluded.kind, tenant_id = excluded.tenant_id, event_type = excluded.event_type,
    correlation_id = excluded.correlation_id, approvers = excluded.approvers, deadline = excluded.deadline,
    created_at = excluded.created_at, since = excluded.since`
	}
	panic(fmt.Sprintf("sqlite: unknown multi-row statement %d", kind))
}

// multiStatements holds the multi-row statements, prepared on the write
// connection when the store opens: one per kind and per power of two up
// to maxRows, so that any row count is written with at most eight
// statements per kind.
type multiStatements struct {
	stmts [multiKinds][]*sql.Stmt // index i holds the statement for 1<<i rows
}

func prepareMulti(ctx context.Context, db preparer) (*multiStatements, error) {
	m := &multiStatements{}
	for kind := multiKind(0); kind < multiKinds; kind++ {
		for n := 1; n <= maxRows; n *= 2 {
			s, err := db.PrepareContext(ctx, multiSQL(kind, n))
			if err != nil {
				m.close()
				return nil, fmt.Errorf("prepare %d-row statement: %w", n, err)
			}
			m.stmts[kind] = append(m.stmts[kind], s)
		}
	}
	return m, nil
}

// exec writes rows, taking the largest prepared statement that fits each
// time.
func (m *multiStatements) exec(ctx context.Context, kind multiKind, rows [][]any) error {
	for len(rows) > 0 {
		i := bits.Len(uint(min(len(rows), maxRows))) - 1
		n := 1 << i
		args := make([]any, 0, n*len(rows[0]))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := m.stmts[kind][i].ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("write %d rows: %w", n, err)
		}
		rows = rows[n:]
	}
	return nil
}

func (m *multiStatements) close() {
	for k := range m.stmts {
		for _, s := range m.stmts[k] {
			s.Close()
		}
		m.stmts[k] = nil
	}
}
