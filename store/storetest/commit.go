package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func commitTests() []test {
	return []test{
		{"Commit/Create", testCommitCreate},
		{"Commit/CreateExistingID", testCommitCreateExistingID},
		{"Commit/IdempotencyKey", testCommitIdempotencyKey},
		{"Commit/Update", testCommitUpdate},
		{"Commit/Stale", testCommitStale},
		{"Commit/SameSeqInOneBatch", testCommitSameSeqInOneBatch},
		{"Commit/SameSeqAcrossBatches", testCommitSameSeqAcrossBatches},
		{"Commit/UnknownExecution", testCommitUnknownExecution},
		{"Commit/RefusalDoesNotStopOthers", testCommitRefusalDoesNotStopOthers},
		{"Commit/ManyUpdates", testCommitManyUpdates},
		{"Commit/Invalid", testCommitInvalid},
		{"Commit/ClearAll", testCommitClearAll},
		{"Commit/DeletesBeforePuts", testCommitDeletesBeforePuts},
		{"Commit/DeleteMissing", testCommitDeleteMissing},
		{"Commit/OtherExecutions", testCommitOtherExecutions},
		{"Commit/MatchInbox", testCommitMatchInbox},
		{"Commit/Cancelled", testCommitCancelled},
		{"Commit/Empty", testCommitEmpty},
		{"Commit/RunbookVersions", testCommitRunbookVersions},
	}
}

func testCommitCreate(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	rec := newExecution(id, "tenant-a", "key-1")
	rec.ParentID = execID(0)
	rec.Seq = 2
	tx := &runbook.Transition{
		Create:    true,
		Execution: rec,
		Events:    []runbook.Event{event(1, runbook.EventExecutionStarted, ""), event(2, runbook.EventStepStarted, "fetch")},
		Steps: []*runbook.StepRecord{
			{StepID: "loop", Iteration: 2, Status: runbook.StepRunning, Data: []byte(`{"i":2}`)},
			{ExecutionID: id, StepID: "fetch", Status: runbook.StepRunning, Data: []byte(`{"fetch":1}`)},
			{StepID: "loop", Iteration: 1, Status: runbook.StepCompleted},
			{StepID: "loop", Status: runbook.StepRunning},
		},
	}
	res := mustCommit(t, s, tx)
	if len(res[0].Inbox) != 0 {
		t.Fatalf("Inbox = %v without MatchInbox", res[0].Inbox)
	}

	got, steps, err := s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution", got, rec)
	equal(t, "steps ordered by step id then iteration", steps, []*runbook.StepRecord{
		{ExecutionID: id, StepID: "fetch", Status: runbook.StepRunning, Data: []byte(`{"fetch":1}`)},
		{ExecutionID: id, StepID: "loop", Status: runbook.StepRunning},
		{ExecutionID: id, StepID: "loop", Iteration: 1, Status: runbook.StepCompleted},
		{ExecutionID: id, StepID: "loop", Iteration: 2, Status: runbook.StepRunning, Data: []byte(`{"i":2}`)},
	})
	history, err := s.ListHistory(ctx, id, 0, 0)
	noErr(t, err)
	equalEvents(t, history, tx.Events)

	found, err := s.FindExecutionByKey(ctx, "tenant-a", "key-1")
	noErr(t, err)
	if found != id {
		t.Fatalf("FindExecutionByKey = %q, want %q", found, id)
	}
}

func testCommitCreateExistingID(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	create(t, s, newExecution(id, "t", ""))

	again := createTx(newExecution(id, "t", "other-key"))
	again.Execution.Status = runbook.ExecutionFailed
	again.PutTasks = []*runbook.Task{{ExecutionID: id, Key: "run", Kind: runbook.TaskRun, DueAt: at(0)}}
	res := commit(t, s, again)
	wantError(t, res[0].Err, runbook.ECONFLICT, `execution "`+id+`" already exists`)

	got, _, err := s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution after a refused create", got, newExecution(id, "t", ""))
	history, err := s.ListHistory(ctx, id, 0, 0)
	noErr(t, err)
	equalEvents(t, history, createTx(newExecution(id, "t", "")).Events)
	claimed, err := s.ClaimTasks(ctx, "w", at(100), at(200), 10)
	noErr(t, err)
	equalStrings(t, "tasks of the refused create", taskKeys(claimed), nil)
	_, err = s.FindExecutionByKey(ctx, "t", "other-key")
	wantCode(t, err, runbook.ENOTFOUND)
}

func testCommitIdempotencyKey(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	create(t, s, newExecution(execID(1), "t1", "k"))

	res := commit(t, s, createTx(newExecution(execID(2), "t1", "k")))
	wantCode(t, res[0].Err, runbook.ECONFLICT)
	if msg := runbook.ErrorMessage(res[0].Err); !strings.Contains(msg, `"k"`) {
		t.Fatalf("conflict message %q does not name the key", msg)
	}
	_, _, err := s.GetExecution(ctx, execID(2))
	wantCode(t, err, runbook.ENOTFOUND)

	// The key is unique per tenant, and the empty key is no key.
	create(t, s,
		newExecution(execID(3), "t2", "k"),
		newExecution(execID(4), "t1", ""),
		newExecution(execID(5), "t1", ""))

	// Two creates with one key in one batch: the first wins.
	res = commit(t, s, createTx(newExecution(execID(6), "t1", "k2")), createTx(newExecution(execID(7), "t1", "k2")))
	noErr(t, res[0].Err)
	wantCode(t, res[1].Err, runbook.ECONFLICT)

	for _, c := range []struct {
		tenant, key, want string
	}{
		{"t1", "k", execID(1)},
		{"t2", "k", execID(3)},
		{"t1", "k2", execID(6)},
	} {
		got, err := s.FindExecutionByKey(ctx, c.tenant, c.key)
		noErr(t, err)
		if got != c.want {
			t.Fatalf("FindExecutionByKey(%q, %q) = %q, want %q", c.tenant, c.key, got, c.want)
		}
	}
	for _, c := range []struct{ tenant, key string }{{"t1", ""}, {"t1", "missing"}, {"t3", "k"}} {
		_, err := s.FindExecutionByKey(ctx, c.tenant, c.key)
		wantCode(t, err, runbook.ENOTFOUND)
	}
}

func testCommitUpdate(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	tx := createTx(newExecution(id, "t", "k"))
	tx.Execution.Static = []byte(`{"input":{"host":"h1"}}`)
	tx.Steps = []*runbook.StepRecord{{StepID: "a", Status: runbook.StepRunning, Data: []byte(`{"v":1}`)}}
	mustCommit(t, s, tx)

	up := nextTx(tx.Execution, 2)
	up.Execution.Status = runbook.ExecutionCompleted
	up.Execution.Data = []byte(`{"done":true}`)
	want := *up.Execution
	// An update writes status, seq, updatedAt and data only: the rest is
	// fixed at creation, whatever the transition carries.
	up.Execution.RunbookVersion = "1.0.1"
	up.Execution.ParentID = execID(9)
	up.Execution.CreatedAt = at(50)
	up.Execution.Static = nil
	up.Steps = []*runbook.StepRecord{
		{StepID: "a", Status: runbook.StepCompleted, Data: []byte(`{"v":2}`)},
		{StepID: "b", Status: runbook.StepSkipped},
	}
	mustCommit(t, s, up)

	got, steps, err := s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution after update", got, &want)
	equal(t, "steps after update", steps, []*runbook.StepRecord{
		{ExecutionID: id, StepID: "a", Status: runbook.StepCompleted, Data: []byte(`{"v":2}`)},
		{ExecutionID: id, StepID: "b", Status: runbook.StepSkipped},
	})
	history, err := s.ListHistory(ctx, id, 0, 0)
	noErr(t, err)
	equalEvents(t, history, append(tx.Events, up.Events...))
}

func testCommitStale(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	rec := newExecution(id, "t", "")
	create(t, s, rec)
	up := nextTx(rec, 1)
	mustCommit(t, s, up)

	stale := nextTx(rec, 3) // expects seq 1, the row has 2
	stale.Execution.Status = runbook.ExecutionFailed
	stale.Steps = []*runbook.StepRecord{{StepID: "x", Status: runbook.StepFailed}}
	stale.PutTasks = []*runbook.Task{{ExecutionID: id, Key: "run", Kind: runbook.TaskRun, DueAt: at(0)}}
	stale.PutWaits = []*runbook.Wait{{ExecutionID: id, StepID: "x", Kind: runbook.WaitApproval}}
	res := commit(t, s, stale)
	wantError(t, res[0].Err, runbook.ESTALE, "execution "+id+" changed concurrently (expected seq 1, found 2)")

	got, steps, err := s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution after a stale transition", got, up.Execution)
	equal(t, "steps after a stale transition", steps, []*runbook.StepRecord{})
	history, err := s.ListHistory(ctx, id, 0, 0)
	noErr(t, err)
	equalEvents(t, history, []runbook.Event{event(1, runbook.EventExecutionStarted, ""), up.Events[0]})
	claimed, err := s.ClaimTasks(ctx, "w", at(100), at(200), 10)
	noErr(t, err)
	equalStrings(t, "tasks after a stale transition", taskKeys(claimed), nil)
	waits, err := s.ListWaits(ctx, runbook.WaitFilter{})
	noErr(t, err)
	equalStrings(t, "waits after a stale transition", waitNames(waits), nil)
}

func testCommitSameSeqInOneBatch(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	rec := newExecution(id, "t", "")
	create(t, s, rec)

	first, second := nextTx(rec, 1), nextTx(rec, 1)
	first.Events[0].Reason = "first"
	first.Execution.Status = runbook.ExecutionPaused
	second.Events[0].Reason = "second"
	second.Execution.Status = runbook.ExecutionCancelled
	res := commit(t, s, first, second)
	noErr(t, res[0].Err)
	wantError(t, res[1].Err, runbook.ESTALE, "execution "+id+" changed concurrently (expected seq 1, found 2)")

	got, _, err := s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution", got, first.Execution)
	history, err := s.ListHistory(ctx, id, 1, 0)
	noErr(t, err)
	equalEvents(t, history, first.Events)
}

func testCommitSameSeqAcrossBatches(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	rec := newExecution(id, "t", "")
	create(t, s, rec)
	first, second := nextTx(rec, 1), nextTx(rec, 2)
	second.Execution.Status = runbook.ExecutionFailed
	mustCommit(t, s, first)
	res := commit(t, s, second)
	wantError(t, res[0].Err, runbook.ESTALE, "execution "+id+" changed concurrently (expected seq 1, found 2)")
	got, _, err := s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution", got, first.Execution)
}

func testCommitUnknownExecution(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	tx := nextTx(newExecution(id, "t", ""), 1)
	tx.PutTasks = []*runbook.Task{{ExecutionID: id, Key: "run", Kind: runbook.TaskRun, DueAt: at(0)}}
	res := commit(t, s, tx)
	wantError(t, res[0].Err, runbook.ENOTFOUND, `execution "`+id+`" not found`)
	claimed, err := s.ClaimTasks(ctx, "w", at(100), at(200), 10)
	noErr(t, err)
	equalStrings(t, "tasks of a refused transition", taskKeys(claimed), nil)
	_, err = s.ListHistory(ctx, id, 0, 0)
	wantCode(t, err, runbook.ENOTFOUND)
}

func testCommitRefusalDoesNotStopOthers(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	a, b, c := newExecution(execID(1), "t", ""), newExecution(execID(2), "t", ""), newExecution(execID(3), "t", "")
	create(t, s, a, b, c)

	upA, upC := nextTx(a, 1), nextTx(c, 2)
	staleB := nextTx(b, 1)
	staleB.ExpectedSeq, staleB.Execution.Seq, staleB.Events[0].Seq = 5, 6, 6
	createD := createTx(newExecution(execID(4), "t", ""))
	dupA := createTx(newExecution(execID(1), "t", ""))
	for _, tx := range []*runbook.Transition{upA, staleB, upC, createD, dupA} {
		tx.PutTasks = []*runbook.Task{{ExecutionID: tx.Execution.ID, Key: "next", Kind: runbook.TaskRun, DueAt: at(0)}}
	}
	res := commit(t, s, upA, staleB, upC, createD, dupA)
	noErr(t, res[0].Err)
	wantCode(t, res[1].Err, runbook.ESTALE)
	noErr(t, res[2].Err)
	noErr(t, res[3].Err)
	wantCode(t, res[4].Err, runbook.ECONFLICT)

	for _, want := range []*runbook.ExecutionRecord{upA.Execution, b, upC.Execution, createD.Execution} {
		got, _, err := s.GetExecution(ctx, want.ID)
		noErr(t, err)
		equal(t, "execution "+want.ID, got, want)
	}
	claimed, err := s.ClaimTasks(ctx, "w", at(100), at(200), 10)
	noErr(t, err)
	equalStrings(t, "tasks", sortedTaskKeys(claimed), []string{execID(1) + "/next", execID(3) + "/next", execID(4) + "/next"})
}

// testCommitManyUpdates commits a batch of updates of distinct executions
// with their events encoded, as the engine sends them (a store may then
// check them all in one statement): the good ones apply, each refused one
// gets its own reason and writes nothing.
func testCommitManyUpdates(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	var recs []*runbook.ExecutionRecord
	for i := 1; i <= 5; i++ {
		recs = append(recs, newExecution(execID(i), "t", ""))
	}
	create(t, s, recs...)
	good1, good2 := nextTx(recs[0], 2), nextTx(recs[1], 1)
	stale := nextTx(recs[2], 1)
	stale.ExpectedSeq, stale.Execution.Seq, stale.Events[0].Seq = 5, 6, 6
	otherTenant := nextTx(recs[3], 1)
	otherTenant.Execution.TenantID = "t2"
	unknown := nextTx(newExecution(execID(9), "t", ""), 1)
	good3 := nextTx(recs[4], 3)
	txs := []*runbook.Transition{good1, stale, good2, otherTenant, unknown, good3}
	for _, tx := range txs {
		tx.Steps = []*runbook.StepRecord{{StepID: "s", Status: runbook.StepRunning, Data: []byte(`{"n":1}`)}}
		tx.PutTasks = []*runbook.Task{{ExecutionID: tx.Execution.ID, Key: "next", Kind: runbook.TaskRun, DueAt: at(0)}}
		for i := range tx.Events {
			b, err := json.Marshal(&tx.Events[i])
			noErr(t, err)
			tx.EncodedEvents = append(tx.EncodedEvents, b)
		}
	}
	res := commit(t, s, txs...)
	noErr(t, res[0].Err)
	wantCode(t, res[1].Err, runbook.ESTALE)
	noErr(t, res[2].Err)
	wantCode(t, res[3].Err, runbook.EINVALID)
	wantCode(t, res[4].Err, runbook.ENOTFOUND)
	noErr(t, res[5].Err)

	for _, want := range []*runbook.ExecutionRecord{good1.Execution, good2.Execution, recs[2], recs[3], good3.Execution} {
		got, steps, err := s.GetExecution(ctx, want.ID)
		noErr(t, err)
		equal(t, "execution "+want.ID, got, want)
		applied := want.Seq > 1
		if (len(steps) == 1) != applied {
			t.Errorf("execution %s: %d step rows, want them only if its transition applied", want.ID, len(steps))
		}
		history, err := s.ListHistory(ctx, want.ID, 0, 0)
		noErr(t, err)
		if int64(len(history)) != want.Seq {
			t.Errorf("execution %s: %d events, want %d", want.ID, len(history), want.Seq)
		}
	}
	claimed, err := s.ClaimTasks(ctx, "w", at(100), at(200), 10)
	noErr(t, err)
	equalStrings(t, "tasks", sortedTaskKeys(claimed), []string{execID(1) + "/next", execID(2) + "/next", execID(5) + "/next"})
}

func testCommitInvalid(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	rec := newExecution(execID(1), "t", "k")
	create(t, s, rec)

	gap := nextTx(rec, 2)
	gap.Events[0].Seq = 3 // events 3, 3 after seq 1
	short := nextTx(rec, 2)
	short.Execution.Seq = 4 // two events, but seq moves by 3
	noID := nextTx(rec, 1)
	noID.Execution.ID = ""
	otherTenant := nextTx(rec, 1)
	otherTenant.Execution.TenantID = "t2"
	otherKey := nextTx(rec, 1)
	otherKey.Execution.IdempotencyKey = "k2"
	foreignStep := nextTx(rec, 1)
	foreignStep.Steps = []*runbook.StepRecord{{ExecutionID: execID(2), StepID: "a", Status: runbook.StepRunning}}
	valid := createTx(newExecution(execID(3), "t", ""))

	res := commit(t, s, nil, &runbook.Transition{}, gap, short, noID, otherTenant, otherKey, foreignStep, valid)
	for i, r := range res[:len(res)-1] {
		if runbook.ErrorCode(r.Err) != runbook.EINVALID {
			t.Errorf("transition %d: error %v, want code %q", i, r.Err, runbook.EINVALID)
		}
	}
	noErr(t, res[len(res)-1].Err)
	got, _, err := s.GetExecution(ctx, rec.ID)
	noErr(t, err)
	equal(t, "execution after invalid transitions", got, rec)
	found, err := s.FindExecutionByKey(ctx, "t", "k")
	noErr(t, err)
	if found != rec.ID {
		t.Fatalf("FindExecutionByKey = %q, want %q", found, rec.ID)
	}
}

func testCommitClearAll(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	a, b := execID(1), execID(2)
	ta := createTx(newExecution(a, "t", ""))
	ta.PutTasks = []*runbook.Task{
		{ExecutionID: a, Key: "t1", Kind: runbook.TaskRun, DueAt: at(1)},
		{ExecutionID: a, Key: "t2", Kind: runbook.TaskTimer, Timer: runbook.TimerGlobal, DueAt: at(2)},
		{ExecutionID: b, Key: "from-a", Kind: runbook.TaskChild, DueAt: at(3)},
	}
	ta.PutWaits = []*runbook.Wait{
		{ExecutionID: a, StepID: "approve", Kind: runbook.WaitApproval, TenantID: "t", CreatedAt: at(1)},
		{ExecutionID: a, StepID: "event", Kind: runbook.WaitEvent, TenantID: "t", EventType: "x", CorrelationID: "c", CreatedAt: at(2)},
	}
	tb := createTx(newExecution(b, "t", ""))
	tb.PutTasks = []*runbook.Task{{ExecutionID: b, Key: "tb", Kind: runbook.TaskRun, DueAt: at(4)}}
	tb.PutWaits = []*runbook.Wait{{ExecutionID: b, StepID: "event", Kind: runbook.WaitEvent, TenantID: "t", EventType: "x", CorrelationID: "c", CreatedAt: at(3)}}
	mustCommit(t, s, ta, tb)

	end := nextTx(ta.Execution, 1)
	end.Execution.Status = runbook.ExecutionCancelled
	end.ClearAll = true
	end.PutTasks = []*runbook.Task{{ExecutionID: a, Key: "t1", Kind: runbook.TaskRun, Attempt: 2, DueAt: at(5)}}
	end.PutWaits = []*runbook.Wait{{ExecutionID: a, StepID: "approve", Kind: runbook.WaitApproval, TenantID: "t", CreatedAt: at(5)}}
	mustCommit(t, s, end)

	claimed, err := s.ClaimTasks(ctx, "w", at(100), at(200), 10)
	noErr(t, err)
	equalStrings(t, "tasks after ClearAll", taskKeys(claimed), []string{b + "/from-a", b + "/tb", a + "/t1"})
	if claimed[2].Attempt != 2 {
		t.Fatalf("task put after ClearAll has attempt %d, want 2", claimed[2].Attempt)
	}
	waits, err := s.ListWaits(ctx, runbook.WaitFilter{})
	noErr(t, err)
	equalStrings(t, "waits after ClearAll", waitNames(waits), []string{b + "/event/0", a + "/approve/0"})
	matched, err := s.DeliverEvent(ctx, &runbook.InboxEvent{ID: "e1", TenantID: "t", Type: "x", CorrelationID: "c", ReceivedAt: at(6)})
	noErr(t, err)
	equalStrings(t, "event waits after ClearAll", waitNames(matched), []string{b + "/event/0"})
}

func testCommitDeletesBeforePuts(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	tx := createTx(newExecution(id, "t", ""))
	tx.PutTasks = []*runbook.Task{{ExecutionID: id, Key: "k", Kind: runbook.TaskRun, StepID: "a", Attempt: 1, DueAt: at(1), Payload: []byte("old")}}
	tx.PutWaits = []*runbook.Wait{{ExecutionID: id, StepID: "a", Kind: runbook.WaitApproval, TenantID: "t", Approvers: []string{"old"}, CreatedAt: at(1)}}
	mustCommit(t, s, tx)

	newTask := &runbook.Task{ExecutionID: id, Key: "k", Kind: runbook.TaskRun, StepID: "a", Attempt: 2, DueAt: at(2), Payload: []byte("new")}
	newWait := &runbook.Wait{ExecutionID: id, StepID: "a", Kind: runbook.WaitApproval, TenantID: "t", Approvers: []string{"new"}, CreatedAt: at(2)}
	up := nextTx(tx.Execution, 1)
	up.DeleteTasks = []runbook.TaskRef{{ExecutionID: id, Key: "k"}}
	up.PutTasks = []*runbook.Task{newTask}
	up.DeleteWaits = []runbook.WaitRef{{ExecutionID: id, StepID: "a"}}
	up.PutWaits = []*runbook.Wait{newWait}
	mustCommit(t, s, up)

	claimed, err := s.ClaimTasks(ctx, "w", at(100), at(200), 10)
	noErr(t, err)
	want := *newTask
	want.Owner, want.LeaseExpiresAt, want.Deliveries = "w", at(200), 1
	equal(t, "task deleted and put again", claimed, []*runbook.Task{&want})
	waits, err := s.ListWaits(ctx, runbook.WaitFilter{})
	noErr(t, err)
	equal(t, "wait deleted and put again", waits, []*runbook.Wait{newWait})
}

func testCommitDeleteMissing(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	rec := newExecution(id, "t", "")
	create(t, s, rec)
	up := nextTx(rec, 1)
	up.DeleteTasks = []runbook.TaskRef{{ExecutionID: id, Key: "missing"}, {ExecutionID: execID(9), Key: "x"}}
	up.DeleteWaits = []runbook.WaitRef{{ExecutionID: id, StepID: "missing"}, {ExecutionID: execID(9), StepID: "x", Iteration: 3}}
	mustCommit(t, s, up)
	got, _, err := s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution", got, up.Execution)
}

func testCommitOtherExecutions(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	parent, child := newExecution(execID(1), "t", ""), newExecution(execID(2), "t", "")
	create(t, s, parent, child)

	// The child ends and tells its parent; the parent's wait goes too.
	end := nextTx(child, 1)
	end.Execution.Status = runbook.ExecutionCompleted
	end.ClearAll = true
	end.PutTasks = []*runbook.Task{{ExecutionID: parent.ID, Key: "child-done", Kind: runbook.TaskChild, StepID: "sub", DueAt: at(1)}}
	end.PutWaits = []*runbook.Wait{{ExecutionID: parent.ID, StepID: "other", Kind: runbook.WaitChild, TenantID: "t", CreatedAt: at(1)}}
	mustCommit(t, s, end)

	claimed, err := s.ClaimTasks(ctx, "w", at(100), at(200), 10)
	noErr(t, err)
	equalStrings(t, "tasks", taskKeys(claimed), []string{parent.ID + "/child-done"})
	waits, err := s.ListWaits(ctx, runbook.WaitFilter{})
	noErr(t, err)
	equalStrings(t, "waits", waitNames(waits), []string{parent.ID + "/other/0"})

	again := nextTx(end.Execution, 1)
	again.DeleteTasks = []runbook.TaskRef{{ExecutionID: parent.ID, Key: "child-done"}}
	again.DeleteWaits = []runbook.WaitRef{{ExecutionID: parent.ID, StepID: "other"}}
	mustCommit(t, s, again)
	noErr(t, s.ReleaseLeases(ctx, ""))
	claimed, err = s.ClaimTasks(ctx, "w", at(100), at(200), 10)
	noErr(t, err)
	equalStrings(t, "tasks after delete", taskKeys(claimed), nil)
	waits, err = s.ListWaits(ctx, runbook.WaitFilter{})
	noErr(t, err)
	equalStrings(t, "waits after delete", waitNames(waits), nil)
}

func testCommitMatchInbox(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	inbox := func(id, tenant, typ, corr string, sec int) *runbook.InboxEvent {
		return &runbook.InboxEvent{ID: id, TenantID: tenant, Type: typ, CorrelationID: corr, Payload: []byte(`{"id":"` + id + `"}`), ReceivedAt: at(sec)}
	}
	e1 := inbox("e1", "t", "alert", "c1", 1)
	e2 := inbox("e2", "t", "alert", "c1", 3)
	e0 := inbox("e0", "t", "alert", "c1", 3) // same time as e2, smaller id
	for _, ev := range []*runbook.InboxEvent{
		e1, e2, e0,
		inbox("other-corr", "t", "alert", "c2", 2),
		inbox("other-tenant", "t2", "alert", "c1", 2),
		inbox("other-type", "t", "alarm", "c1", 2),
	} {
		_, err := s.DeliverEvent(ctx, ev)
		noErr(t, err)
	}

	id := execID(1)
	tx := createTx(newExecution(id, "t", ""))
	tx.PutWaits = []*runbook.Wait{{ExecutionID: id, StepID: "wait", Kind: runbook.WaitEvent, TenantID: "t", EventType: "alert", CorrelationID: "c1", CreatedAt: at(4), Since: at(0)}}
	tx.MatchInbox = []*runbook.InboxQuery{
		{TenantID: "t", Type: "alert", CorrelationID: "c1", Since: at(0)},
		{TenantID: "t", Type: "alert", CorrelationID: "c1", Since: at(3)}, // Since is inclusive
		{TenantID: "t", Type: "alert", CorrelationID: "c1", Since: at(3).Add(time.Microsecond)},
		{TenantID: "t", Type: "alert", CorrelationID: "c9", Since: at(0)},
	}
	refused := createTx(newExecution(id, "t", ""))
	refused.MatchInbox = tx.MatchInbox[:1]
	res := commit(t, s, tx, refused)
	noErr(t, res[0].Err)
	if len(res[0].Inbox) != len(tx.MatchInbox) {
		t.Fatalf("Inbox has %d entries for %d queries", len(res[0].Inbox), len(tx.MatchInbox))
	}
	equal(t, "events since the start, oldest first", res[0].Inbox[0], []*runbook.InboxEvent{e1, e0, e2})
	equal(t, "events since an exact receive time", res[0].Inbox[1], []*runbook.InboxEvent{e0, e2})
	equal(t, "events after the last one", res[0].Inbox[2], []*runbook.InboxEvent{})
	equal(t, "events of another correlation id", res[0].Inbox[3], []*runbook.InboxEvent{})
	wantCode(t, res[1].Err, runbook.ECONFLICT)
	if len(res[1].Inbox) != 0 {
		t.Fatalf("refused transition has inbox %v", res[1].Inbox)
	}
}

func testCommitCancelled(t *testing.T, s runbook.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	id := execID(1)
	if _, err := s.Commit(ctx, []*runbook.Transition{createTx(newExecution(id, "t", ""))}); err == nil {
		t.Fatal("Commit with a cancelled context succeeded")
	}
	_, _, err := s.GetExecution(t.Context(), id)
	wantCode(t, err, runbook.ENOTFOUND)
}

func testCommitEmpty(t *testing.T, s runbook.Store) {
	res, err := s.Commit(t.Context(), nil)
	noErr(t, err)
	if len(res) != 0 {
		t.Fatalf("Commit(nil) = %v", res)
	}
}

// A creation conditioned on the runbook's number of versions
// (Transition.RunbookVersions) commits while the runbook has that many,
// and is refused with ESTALE, writing nothing, once another version was
// stored; alone or among other transitions of one batch.
func testCommitRunbookVersions(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	_, err := s.PutRunbook(ctx, newRunbook("triage", "1.0.0", at(0)))
	noErr(t, err)
	seen := createTx(newExecution(execID(1), "t", ""))
	seen.RunbookVersions = 1
	mustCommit(t, s, seen)

	_, err = s.PutRunbook(ctx, newRunbook("triage", "1.1.0", at(1)))
	noErr(t, err)
	for _, batch := range [][]*runbook.Transition{
		{createTx(newExecution(execID(2), "t", ""))},
		{createTx(newExecution(execID(3), "t", "")), createTx(newExecution(execID(2), "t", "")), createTx(newExecution(execID(4), "t", ""))},
	} {
		stale := batch[len(batch)/2]
		stale.RunbookVersions = 1
		res := commit(t, s, batch...)
		for i, r := range res {
			if batch[i] != stale {
				noErr(t, r.Err)
				continue
			}
			wantCode(t, r.Err, runbook.ESTALE)
			if msg := runbook.ErrorMessage(r.Err); !strings.Contains(msg, `runbook "triage"`) || !strings.Contains(msg, "1 versions the start saw") &&
				!strings.Contains(msg, "not the 1 the start saw") {
				t.Fatalf("refusal message %q does not say the runbook changed", msg)
			}
		}
		if _, _, err := s.GetExecution(ctx, execID(2)); runbook.ErrorCode(err) != runbook.ENOTFOUND {
			t.Fatalf("GetExecution of a refused creation = %v, want ENOTFOUND", err)
		}
		if h, err := s.ListHistory(ctx, execID(2), 0, 0); runbook.ErrorCode(err) != runbook.ENOTFOUND && len(h) != 0 {
			t.Fatalf("history of a refused creation: %v, %v", h, err)
		}
	}
	again := createTx(newExecution(execID(2), "t", ""))
	again.RunbookVersions = 2
	mustCommit(t, s, again)

	notCreate := nextTx(seen.Execution, 1)
	notCreate.RunbookVersions = 2
	wantCode(t, commit(t, s, notCreate)[0].Err, runbook.EINVALID)
}
