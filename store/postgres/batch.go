package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/pending"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// rowBatch collects the row writes of the accepted transitions of one
// Commit as columns, so that each table gets one statement with array
// parameters (see statements.go) instead of one statement per row.
//
// The rows are written in the order clear, delete, insert, upsert, which
// equals the sequential order unless a transition deletes (or clears)
// something a pending one puts: the batch is queued before such a
// transition (see pending.Puts.Conflicts) and a new one begins. Rows put twice are
// written once, with the last values, since one INSERT ... ON CONFLICT
// cannot change a row twice.
type rowBatch struct {
	puts   pending.Puts // the positions of the step, task and wait rows
	clears []string

	delTaskExec, delTaskKey             []string
	delWaitExec, delWaitStep            []string
	delWaitIter                         []int32
	evExec, evType, evStep              []string
	evSeq, evTime                       []int64
	evData                              [][]byte
	stExec, stStep, stStatus            []string
	stIter                              []int32
	stData                              [][]byte
	tkExec, tkKey, tkKind, tkStep       []string
	tkIter, tkAttempt, tkDeliveries     []int32
	tkTimer, tkOwner                    []string
	tkDue, tkLease                      []int64
	tkPayload                           [][]byte
	wExec, wStep, wKind, wTenant, wType []string
	wCorr, wApprovers                   []string
	wIter                               []int32
	wDeadline, wCreated, wSince         []int64
}

func newRowBatch() *rowBatch {
	return &rowBatch{puts: pending.New()}
}

// add queues the rows of an accepted transition.
func (b *rowBatch) add(t *runbook.Transition, events [][]byte) {
	e := t.Execution
	if t.ClearAll {
		b.clears = append(b.clears, e.ID)
	}
	for _, ref := range t.DeleteTasks {
		b.delTaskExec = append(b.delTaskExec, ref.ExecutionID)
		b.delTaskKey = append(b.delTaskKey, ref.Key)
	}
	for _, ref := range t.DeleteWaits {
		b.delWaitExec = append(b.delWaitExec, ref.ExecutionID)
		b.delWaitStep = append(b.delWaitStep, ref.StepID)
		b.delWaitIter = append(b.delWaitIter, int32(ref.Iteration))
	}
	for i := range t.Events {
		ev := &t.Events[i]
		b.evExec = append(b.evExec, e.ID)
		b.evSeq = append(b.evSeq, ev.Seq)
		b.evType = append(b.evType, string(ev.Type))
		b.evStep = append(b.evStep, ev.StepID)
		b.evTime = append(b.evTime, sqlrow.Micros(ev.Time))
		b.evData = append(b.evData, events[i])
	}
	for _, st := range t.Steps {
		if i, ok := b.puts.Step(pending.StepRef{ExecutionID: e.ID, StepID: st.StepID, Iteration: st.Iteration}, len(b.stExec)); ok {
			b.stStatus[i], b.stData[i] = string(st.Status), sqlrow.Blob(st.Data)
			continue
		}
		b.stExec = append(b.stExec, e.ID)
		b.stStep = append(b.stStep, st.StepID)
		b.stIter = append(b.stIter, int32(st.Iteration))
		b.stStatus = append(b.stStatus, string(st.Status))
		b.stData = append(b.stData, sqlrow.Blob(st.Data))
	}
	for _, tk := range t.PutTasks {
		i, ok := b.puts.Task(runbook.TaskRef{ExecutionID: tk.ExecutionID, Key: tk.Key}, len(b.tkExec))
		if !ok {
			b.tkExec = append(b.tkExec, tk.ExecutionID)
			b.tkKey = append(b.tkKey, tk.Key)
			b.tkKind = append(b.tkKind, "")
			b.tkStep = append(b.tkStep, "")
			b.tkIter = append(b.tkIter, 0)
			b.tkAttempt = append(b.tkAttempt, 0)
			b.tkTimer = append(b.tkTimer, "")
			b.tkDue = append(b.tkDue, 0)
			b.tkOwner = append(b.tkOwner, "")
			b.tkLease = append(b.tkLease, 0)
			b.tkDeliveries = append(b.tkDeliveries, 0)
			b.tkPayload = append(b.tkPayload, nil)
		}
		b.tkKind[i], b.tkStep[i], b.tkIter[i], b.tkAttempt[i] = string(tk.Kind), tk.StepID, int32(tk.Iteration), int32(tk.Attempt)
		b.tkTimer[i], b.tkDue[i], b.tkOwner[i], b.tkLease[i] = string(tk.Timer), sqlrow.Micros(tk.DueAt), tk.Owner, sqlrow.Micros(tk.LeaseExpiresAt)
		b.tkDeliveries[i], b.tkPayload[i] = int32(tk.Deliveries), sqlrow.Blob(tk.Payload)
	}
	for _, w := range t.PutWaits {
		i, ok := b.puts.Wait(runbook.WaitRef{ExecutionID: w.ExecutionID, StepID: w.StepID, Iteration: w.Iteration}, len(b.wExec))
		if !ok {
			b.wExec = append(b.wExec, w.ExecutionID)
			b.wStep = append(b.wStep, w.StepID)
			b.wIter = append(b.wIter, int32(w.Iteration))
			b.wKind = append(b.wKind, "")
			b.wTenant = append(b.wTenant, "")
			b.wType = append(b.wType, "")
			b.wCorr = append(b.wCorr, "")
			b.wApprovers = append(b.wApprovers, "")
			b.wDeadline = append(b.wDeadline, 0)
			b.wCreated = append(b.wCreated, 0)
			b.wSince = append(b.wSince, 0)
		}
		b.wKind[i], b.wTenant[i], b.wType[i], b.wCorr[i] = string(w.Kind), w.TenantID, w.EventType, w.CorrelationID
		b.wApprovers[i], b.wDeadline[i], b.wCreated[i], b.wSince[i] = sqlrow.ApproversJSON(w.Approvers), sqlrow.Micros(w.Deadline), sqlrow.Micros(w.CreatedAt), sqlrow.Micros(w.Since)
	}
}

// queue adds the statements that write the collected rows to pb, in the
// order clear, delete, insert, upsert, and returns the number queued.
func (b *rowBatch) queue(pb *pgx.Batch) int {
	n := pb.Len()
	if len(b.clears) > 0 {
		pb.Queue(sqlClearTasks, b.clears)
		pb.Queue(sqlClearWaits, b.clears)
	}
	if len(b.delTaskExec) > 0 {
		pb.Queue(sqlDeleteTasks, b.delTaskExec, b.delTaskKey)
	}
	if len(b.delWaitExec) > 0 {
		pb.Queue(sqlDeleteWaits, b.delWaitExec, b.delWaitStep, b.delWaitIter)
	}
	if len(b.evExec) > 0 {
		pb.Queue(sqlInsertEvents, b.evExec, b.evSeq, b.evType, b.evStep, b.evTime, b.evData)
	}
	if len(b.stExec) > 0 {
		pb.Queue(sqlUpsertSteps, b.stExec, b.stStep, b.stIter, b.stStatus, b.stData)
	}
	if len(b.tkExec) > 0 {
		pb.Queue(sqlUpsertTasks, b.tkExec, b.tkKey, b.tkKind, b.tkStep, b.tkIter, b.tkAttempt,
			b.tkTimer, b.tkDue, b.tkOwner, b.tkLease, b.tkDeliveries, b.tkPayload)
	}
	if len(b.wExec) > 0 {
		pb.Queue(sqlUpsertWaits, b.wExec, b.wStep, b.wIter, b.wKind, b.wTenant, b.wType, b.wCorr, b.wApprovers,
			b.wDeadline, b.wCreated, b.wSince)
	}
	return pb.Len() - n
}
