package storetest

import (
	"testing"

	"github.com/runbookhq/runbook"
)

// deferTests check Transition.DeferRows, on stores that accept it.
func deferTests() []test {
	return []test{
		{"DeferRows/KeepsRowsAndMovesSeq", testDeferKeepsRowsAndMovesSeq},
		{"DeferRows/Stale", testDeferStale},
		{"DeferRows/Invalid", testDeferInvalid},
		{"DeferRows/SeveralInOneBatch", testDeferSeveralInOneBatch},
	}
}

// defers reports whether s accepts Transition.DeferRows.
func defers(s runbook.Store) bool {
	d, ok := s.(runbook.RowDeferrer)
	return ok && d.DefersRows()
}

// deferredTx returns a transition with DeferRows that appends n events to
// the execution whose current row is cur, and that row after it (Data
// unchanged: the store keeps its own).
func deferredTx(cur *runbook.ExecutionRecord, n int) *runbook.Transition {
	t := nextTx(cur, n)
	t.DeferRows = true
	t.Execution.Data = nil
	return t
}

// A deferred transition appends its events, applies its tasks and moves
// the execution's seq and time, but leaves its document and step rows as
// the last transition that wrote them left them; a later transition that
// writes its rows is checked against the moved seq.
func testDeferKeepsRowsAndMovesSeq(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	tx := createTx(newExecution(id, "t", "k"))
	tx.Steps = []*runbook.StepRecord{{StepID: "a", Status: runbook.StepRunning, Data: []byte(`{"v":1}`)}}
	mustCommit(t, s, tx)

	d := deferredTx(tx.Execution, 2)
	d.PutTasks = []*runbook.Task{{ExecutionID: id, Key: "run:b", Kind: runbook.TaskRun, StepID: "b", DueAt: at(0)}}
	mustCommit(t, s, d)

	got, steps, err := s.GetExecution(ctx, id)
	noErr(t, err)
	want := *tx.Execution
	want.Seq, want.UpdatedAt = 3, at(3)
	equal(t, "execution after a deferred transition", got, &want)
	equal(t, "steps after a deferred transition", steps, []*runbook.StepRecord{
		{ExecutionID: id, StepID: "a", Status: runbook.StepRunning, Data: []byte(`{"v":1}`)},
	})
	list, err := s.ListExecutions(ctx, runbook.ExecutionFilter{})
	noErr(t, err)
	equal(t, "listed execution after a deferred transition", list, []*runbook.ExecutionRecord{&want})
	history, err := s.ListHistory(ctx, id, 0, 0)
	noErr(t, err)
	equalEvents(t, history, append(tx.Events, d.Events...))
	claimed, err := s.ClaimTasks(ctx, "w", at(100), at(200), 10)
	noErr(t, err)
	equalStrings(t, "tasks after a deferred transition", taskKeys(claimed), []string{id + "/run:b"})

	up := nextTx(d.Execution, 1)
	up.Execution.Status = runbook.ExecutionCompleted
	up.Execution.Data = []byte(`{"done":true}`)
	up.Steps = []*runbook.StepRecord{{StepID: "a", Status: runbook.StepCompleted, Data: []byte(`{"v":2}`)}}
	mustCommit(t, s, up)
	got, steps, err = s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution written after deferred transitions", got, up.Execution)
	equal(t, "steps written after deferred transitions", steps, []*runbook.StepRecord{
		{ExecutionID: id, StepID: "a", Status: runbook.StepCompleted, Data: []byte(`{"v":2}`)},
	})
}

// A deferred transition is checked against the execution's last event,
// and so is a transition built on the rows it left.
func testDeferStale(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	rec := newExecution(id, "t", "")
	create(t, s, rec)
	d := deferredTx(rec, 1)
	mustCommit(t, s, d)

	for _, stale := range []*runbook.Transition{deferredTx(rec, 2), nextTx(rec, 2)} {
		stale.PutWaits = []*runbook.Wait{{ExecutionID: id, StepID: "x", Kind: runbook.WaitApproval}}
		res := commit(t, s, stale)
		wantError(t, res[0].Err, runbook.ESTALE, "execution "+id+" changed concurrently (expected seq 1, found 2)")
	}
	history, err := s.ListHistory(ctx, id, 0, 0)
	noErr(t, err)
	equalEvents(t, history, []runbook.Event{event(1, runbook.EventExecutionStarted, ""), d.Events[0]})
	waits, err := s.ListWaits(ctx, runbook.WaitFilter{})
	noErr(t, err)
	equalStrings(t, "waits after stale transitions", waitNames(waits), nil)
}

// DeferRows cannot create an execution, carry step rows or change the
// status: those are in the rows it leaves alone; and the execution's time
// must be its last event's, which a store may read instead.
func testDeferInvalid(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	rec := newExecution(id, "t", "")
	create(t, s, rec)

	created := createTx(newExecution(execID(2), "t", ""))
	created.DeferRows = true
	withSteps := deferredTx(rec, 1)
	withSteps.Steps = []*runbook.StepRecord{{StepID: "a", Status: runbook.StepCompleted}}
	ended := deferredTx(rec, 1)
	ended.Execution.Status = runbook.ExecutionCompleted
	otherTime := deferredTx(rec, 1)
	otherTime.Execution.UpdatedAt = at(60)
	res := commit(t, s, created, withSteps, ended, otherTime)
	wantError(t, res[0].Err, runbook.EINVALID, `execution "`+execID(2)+`": a new execution writes its rows (DeferRows with Create)`)
	wantError(t, res[1].Err, runbook.EINVALID, `execution "`+id+`": DeferRows with step rows`)
	wantError(t, res[2].Err, runbook.EINVALID, `execution "`+id+`": DeferRows cannot change the status (running to completed)`)
	wantError(t, res[3].Err, runbook.EINVALID, `execution "`+id+`": with DeferRows, updatedAt must be the last event's time`)

	got, _, err := s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution after refused transitions", got, rec)
	if _, _, err := s.GetExecution(ctx, execID(2)); runbook.ErrorCode(err) != runbook.ENOTFOUND {
		t.Fatalf("GetExecution of a refused creation = %v, want ENOTFOUND", err)
	}
}

// Deferred and written transitions of one execution in one batch are
// checked one after the other.
func testDeferSeveralInOneBatch(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	rec := newExecution(id, "t", "")
	create(t, s, rec)
	d1 := deferredTx(rec, 1)
	w := nextTx(d1.Execution, 1)
	w.Execution.Data = []byte(`{"at":3}`)
	d2 := deferredTx(w.Execution, 2)
	stale := deferredTx(w.Execution, 1)
	res := commit(t, s, d1, w, d2, stale)
	for i := range 3 {
		noErr(t, res[i].Err)
	}
	wantError(t, res[3].Err, runbook.ESTALE, "execution "+id+" changed concurrently (expected seq 3, found 5)")

	got, _, err := s.GetExecution(ctx, id)
	noErr(t, err)
	want := *w.Execution
	want.Seq, want.UpdatedAt = 5, at(5)
	equal(t, "execution after a batch of deferred and written transitions", got, &want)
}
