package storetest

import (
	"testing"

	"github.com/runbookhq/runbook"
)

func eventTests() []test {
	return []test{
		{"Events/Deliver", testDeliverEvent},
		{"Events/DeliverInvalid", testDeliverEventInvalid},
		{"Waits/List", testListWaits},
		{"Waits/Upsert", testWaitUpsert},
	}
}

// putWaits commits a transition of a new execution that puts waits.
func putWaits(t *testing.T, s runbook.Store, id string, waits ...*runbook.Wait) *runbook.Transition {
	t.Helper()
	tx := createTx(newExecution(id, "t", ""))
	tx.PutWaits = waits
	mustCommit(t, s, tx)
	return tx
}

func eventWait(id, step, tenant, typ, corr string, created int) *runbook.Wait {
	return &runbook.Wait{
		ExecutionID: id, StepID: step, Kind: runbook.WaitEvent, TenantID: tenant, EventType: typ, CorrelationID: corr,
		Deadline: at(created + 3600), CreatedAt: at(created), Since: at(0),
	}
}

func testDeliverEvent(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	a, b, c, d := execID(1), execID(2), execID(3), execID(4)
	wa := eventWait(a, "wait", "t", "alert", "c1", 3)
	wb := eventWait(b, "wait", "t", "alert", "c1", 1)
	wc := eventWait(c, "wait", "t", "alert", "c1", 3) // same time as wa: by execution id
	putWaits(t, s, a, wa,
		&runbook.Wait{ExecutionID: a, StepID: "approve", Kind: runbook.WaitApproval, TenantID: "t", EventType: "alert", CorrelationID: "c1", CreatedAt: at(0)},
		eventWait(a, "other-corr", "t", "alert", "c2", 0),
		eventWait(a, "other-type", "t", "alarm", "c1", 0))
	putWaits(t, s, b, wb)
	putWaits(t, s, c, wc)
	putWaits(t, s, d, eventWait(d, "wait", "t2", "alert", "c1", 0))

	ev := &runbook.InboxEvent{ID: "e1", TenantID: "t", Type: "alert", CorrelationID: "c1", Payload: []byte(`{"x":1}`), ReceivedAt: at(10)}
	got, err := s.DeliverEvent(ctx, ev)
	noErr(t, err)
	equal(t, "matching event waits, oldest first", got, []*runbook.Wait{wb, wa, wc})

	_, err = s.DeliverEvent(ctx, ev)
	wantError(t, err, runbook.ECONFLICT, `event "e1" already delivered`)

	got, err = s.DeliverEvent(ctx, &runbook.InboxEvent{ID: "e2", TenantID: "t", Type: "alert", CorrelationID: "none", ReceivedAt: at(11)})
	noErr(t, err)
	equal(t, "no matching wait", got, []*runbook.Wait{})

	// Both events are stored, once.
	tx := createTx(newExecution(execID(5), "t", ""))
	tx.MatchInbox = []*runbook.InboxQuery{
		{TenantID: "t", Type: "alert", CorrelationID: "c1", Since: at(0)},
		{TenantID: "t", Type: "alert", CorrelationID: "none", Since: at(0)},
	}
	res := mustCommit(t, s, tx)
	equal(t, "delivered event", res[0].Inbox[0], []*runbook.InboxEvent{ev})
	if len(res[0].Inbox[1]) != 1 || res[0].Inbox[1][0].ID != "e2" {
		t.Fatalf("inbox for the second event = %v", res[0].Inbox[1])
	}
}

func testDeliverEventInvalid(t *testing.T, s runbook.Store) {
	_, err := s.DeliverEvent(t.Context(), &runbook.InboxEvent{TenantID: "t", Type: "alert", ReceivedAt: at(0)})
	wantCode(t, err, runbook.EINVALID)
}

func testListWaits(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	a, b, c := execID(1), execID(2), execID(3)
	w1 := &runbook.Wait{ExecutionID: b, StepID: "approve", Kind: runbook.WaitApproval, TenantID: "t1",
		Approvers: []string{"alice", "bob"}, Deadline: at(100), CreatedAt: at(2), Since: at(1)}
	w2 := &runbook.Wait{ExecutionID: c, StepID: "approve", Kind: runbook.WaitApproval, TenantID: "t2",
		Approvers: []string{"bob"}, CreatedAt: at(1), Since: at(1)}
	w3 := eventWait(a, "event", "t1", "alert", "c1", 3)
	w4 := &runbook.Wait{ExecutionID: a, StepID: "child", Kind: runbook.WaitChild, TenantID: "t1", CreatedAt: at(2)}
	w5 := &runbook.Wait{ExecutionID: a, StepID: "loop-approve", Iteration: 2, Kind: runbook.WaitApproval, TenantID: "t1",
		Approvers: []string{"carol"}, CreatedAt: at(4)}
	w6 := &runbook.Wait{ExecutionID: a, StepID: "loop-approve", Iteration: 1, Kind: runbook.WaitApproval, TenantID: "t1",
		Approvers: []string{"carol", "alice"}, CreatedAt: at(4)}
	putWaits(t, s, a, w3, w4, w5, w6)
	putWaits(t, s, b, w1)
	putWaits(t, s, c, w2)

	for _, cse := range []struct {
		name string
		f    runbook.WaitFilter
		want []*runbook.Wait
	}{
		{"all, oldest first", runbook.WaitFilter{}, []*runbook.Wait{w2, w4, w1, w3, w6, w5}},
		{"kind", runbook.WaitFilter{Kind: runbook.WaitApproval}, []*runbook.Wait{w2, w1, w6, w5}},
		{"tenant", runbook.WaitFilter{TenantID: "t1"}, []*runbook.Wait{w4, w1, w3, w6, w5}},
		{"approver", runbook.WaitFilter{Approver: "alice"}, []*runbook.Wait{w1, w6}},
		{"approver is matched whole", runbook.WaitFilter{Approver: "ali"}, nil},
		{"limit", runbook.WaitFilter{Limit: 2}, []*runbook.Wait{w2, w4}},
		{"everything", runbook.WaitFilter{Kind: runbook.WaitApproval, TenantID: "t1", Approver: "bob", Limit: 5}, []*runbook.Wait{w1}},
	} {
		got, err := s.ListWaits(ctx, cse.f)
		noErr(t, err)
		equal(t, cse.name, got, cse.want)
	}
}

func testWaitUpsert(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	tx := putWaits(t, s, id, eventWait(id, "wait", "t", "alert", "c1", 1))

	repl := eventWait(id, "wait", "t", "alert", "c2", 2)
	up := nextTx(tx.Execution, 1)
	up.PutWaits = []*runbook.Wait{repl}
	mustCommit(t, s, up)

	got, err := s.ListWaits(ctx, runbook.WaitFilter{})
	noErr(t, err)
	equal(t, "the wait after a second put", got, []*runbook.Wait{repl})
	matched, err := s.DeliverEvent(ctx, &runbook.InboxEvent{ID: "e1", TenantID: "t", Type: "alert", CorrelationID: "c1", ReceivedAt: at(3)})
	noErr(t, err)
	equal(t, "the old correlation id matches no more", matched, []*runbook.Wait{})
	matched, err = s.DeliverEvent(ctx, &runbook.InboxEvent{ID: "e2", TenantID: "t", Type: "alert", CorrelationID: "c2", ReceivedAt: at(3)})
	noErr(t, err)
	equal(t, "the new correlation id matches", matched, []*runbook.Wait{repl})
}
