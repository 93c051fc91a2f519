package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook"
)

// rowBatch collects the row writes of the accepted transitions of one
// Commit as columns, so that each table gets one statement with array
// parameters (see statements.go) instead of one statement per row.
//
// The rows are written in the order clear, delete, insert, upsert, which
// equals the sequential order unless a transition deletes (or clears)
// something a pending one puts: the batch is queued before such a
// transition (see conflicts) and a new one begins. Rows put twice are
// written once, with the last values, since one INSERT ... ON CONFLICT
// cannot change a row twice.
type rowBatch struct {
	clears []string

	delTaskExec, delTaskKey             []string
	delWaitExec, delWaitStep            []string
	delWaitIter                         []int32
	evExec, evType, evStep              []string
	evSeq, evTime                       []int64
	evData                              [][]byte
	steps                               map[stepRef]int
	stExec, stStep, stStatus            []string
	stIter                              []int32
	stData                              [][]byte
	tasks                               map[runbook.TaskRef]int
	tkExec, tkKey, tkKind, tkStep       []string
	tkIter, tkAttempt, tkDeliveries     []int32
	tkTimer, tkOwner                    []string
	tkDue, tkLease                      []int64
	tkPayload                           [][]byte
	waits                               map[runbook.WaitRef]int
	wExec, wStep, wKind, wTenant, wType []string
	wCorr, wApprovers                   []string
	wIter                               []int32
	wDeadline, wCreated, wSince         []int64
}

type stepRef struct {
	execution, step string
	iteration       int
}

func newRowBatch() *rowBatch {
	return &rowBatch{steps: map[stepRef]int{}, tasks: map[runbook.TaskRef]int{}, waits: map[runbook.WaitRef]int{}}
}

// conflicts reports whether t removes a task or wait that a pending
// transition puts, so that the pending rows must be written first.
func (b *rowBatch) conflicts(t *runbook.Transition) bool {
	if t.ClearAll {
		id := t.Execution.ID
		for ref := range b.tasks {
			if ref.ExecutionID == id {
				return true
			}
		}
		for ref := range b.waits {
			if ref.ExecutionID == id {
				return true
			}
		}
	}
	for _, ref := range t.DeleteTasks {
		if _, ok := b.tasks[ref]; ok {
			return true
		}
	}
	for _, ref := range t.DeleteWaits {
		if _, ok := b.waits[ref]; ok {
			return true
		}
	}
	return false
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
		b.evTime = append(b.evTime, micros(ev.Time))
		b.evData = append(b.evData, events[i])
	}
	for _, st := range t.Steps {
		ref := stepRef{e.ID, st.StepID, st.Iteration}
		if i, ok := b.steps[ref]; ok {
			b.stStatus[i], b.stData[i] = string(st.Status), blob(st.Data)
			continue
		}
		b.steps[ref] = len(b.stExec)
		b.stExec = append(b.stExec, e.ID)
		b.stStep = append(b.stStep, st.StepID)
		b.stIter = append(b.stIter, int32(st.Iteration))
		b.stStatus = append(b.stStatus, string(st.Status))
		b.stData = append(b.stData, blob(st.Data))
	}
	for _, tk := range t.PutTasks {
		ref := runbook.TaskRef{ExecutionID: tk.ExecutionID, Key: tk.Key}
		i, ok := b.tasks[ref]
		if !ok {
			i = len(b.tkExec)
			b.tasks[ref] = i
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
		b.tkTimer[i], b.tkDue[i], b.tkOwner[i], b.tkLease[i] = string(tk.Timer), micros(tk.DueAt), tk.Owner, micros(tk.LeaseExpiresAt)
		b.tkDeliveries[i], b.tkPayload[i] = int32(tk.Deliveries), blob(tk.Payload)
	}
	for _, w := range t.PutWaits {
		ref := runbook.WaitRef{ExecutionID: w.ExecutionID, StepID: w.StepID, Iteration: w.Iteration}
		i, ok := b.waits[ref]
		if !ok {
			i = len(b.wExec)
			b.waits[ref] = i
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
		b.wApprovers[i], b.wDeadline[i], b.wCreated[i], b.wSince[i] = approversJSON(w.Approvers), micros(w.Deadline), micros(w.CreatedAt), micros(w.Since)
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
