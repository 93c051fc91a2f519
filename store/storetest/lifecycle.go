package storetest

import (
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func lifecycleTests() []test {
	return []test{
		{"Copies/Runbook", testCopiesRunbook},
		{"Copies/Execution", testCopiesExecution},
		{"Copies/TasksWaitsInbox", testCopiesTasksWaitsInbox},
		{"Times/UTC", testTimesUTC},
		{"PingClose", testPingClose},
	}
}

func testCopiesRunbook(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	rec := newRunbook("triage", "1.0.0", at(0))
	want := *newRunbook("triage", "1.0.0", at(0))
	got, err := s.PutRunbook(ctx, rec)
	noErr(t, err)
	rec.Definition[0] = 'X'
	got.Definition[1] = 'X'
	got, err = s.GetRunbook(ctx, "triage", "1.0.0")
	noErr(t, err)
	equal(t, "runbook after changing the caller's slices", got, &want)
	got.Definition[2] = 'X'
	got, err = s.GetRunbook(ctx, "triage", "1.0.0")
	noErr(t, err)
	equal(t, "runbook after changing returned slices", got, &want)
}

func testCopiesExecution(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	tx := createTx(newExecution(id, "t", ""))
	tx.Steps = []*runbook.StepRecord{{StepID: "a", Status: runbook.StepRunning, Data: []byte(`{"a":1}`)}}
	want := createTx(newExecution(id, "t", ""))
	mustCommit(t, s, tx)

	tx.Execution.Data[0] = 'X'
	tx.Steps[0].Data[0] = 'X'
	tx.Events[0].Output.(map[string]any)["seq"] = "changed"
	tx.Events[0].Output.(map[string]any)["tags"].([]any)[0] = "changed"

	rec, steps, err := s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution after changing the caller's slices", rec, want.Execution)
	equal(t, "steps after changing the caller's slices", steps, []*runbook.StepRecord{{ExecutionID: id, StepID: "a", Status: runbook.StepRunning, Data: []byte(`{"a":1}`)}})
	history, err := s.ListHistory(ctx, id, 0, 0)
	noErr(t, err)
	equalEvents(t, history, want.Events)

	rec.Data[0] = 'X'
	steps[0].Data[0] = 'X'
	history[0].Output.(map[string]any)["seq"] = "changed"
	history[0].Output.(map[string]any)["tags"].([]any)[0] = "changed"
	list, err := s.ListExecutions(ctx, runbook.ExecutionFilter{})
	noErr(t, err)
	list[0].Data[1] = 'X'

	rec, steps, err = s.GetExecution(ctx, id)
	noErr(t, err)
	equal(t, "execution after changing returned slices", rec, want.Execution)
	equal(t, "steps after changing returned slices", steps, []*runbook.StepRecord{{ExecutionID: id, StepID: "a", Status: runbook.StepRunning, Data: []byte(`{"a":1}`)}})
	history, err = s.ListHistory(ctx, id, 0, 0)
	noErr(t, err)
	equalEvents(t, history, want.Events)
}

func testCopiesTasksWaitsInbox(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	tk := task(id, "k", at(1))
	w := &runbook.Wait{ExecutionID: id, StepID: "a", Kind: runbook.WaitEvent, TenantID: "t", EventType: "alert", CorrelationID: "c",
		Approvers: []string{"alice"}, CreatedAt: at(1)}
	wantTask, wantWait := *task(id, "k", at(1)), *w
	wantWait.Approvers = []string{"alice"}
	tx := createTx(newExecution(id, "t", ""))
	tx.PutTasks, tx.PutWaits = []*runbook.Task{tk}, []*runbook.Wait{w}
	mustCommit(t, s, tx)
	tk.Payload[0] = 'X'
	w.Approvers[0] = "mallory"

	claimed := claim(t, s, "w1", at(2), at(3), 1)
	equal(t, "task after changing the caller's slice", claimed, []*runbook.Task{leased(&wantTask, "w1", at(3), 1)})
	claimed[0].Payload[0] = 'X'
	noErr(t, s.ReleaseLeases(ctx, ""))
	equal(t, "task after changing a returned slice", claim(t, s, "w1", at(2), at(3), 1), []*runbook.Task{leased(&wantTask, "w1", at(3), 2)})

	waits, err := s.ListWaits(ctx, runbook.WaitFilter{})
	noErr(t, err)
	equal(t, "wait after changing the caller's slice", waits, []*runbook.Wait{&wantWait})
	waits[0].Approvers[0] = "mallory"

	ev := &runbook.InboxEvent{ID: "e1", TenantID: "t", Type: "alert", CorrelationID: "c", Payload: []byte(`{"x":1}`), ReceivedAt: at(2)}
	wantEvent := *ev
	wantEvent.Payload = []byte(`{"x":1}`)
	matched, err := s.DeliverEvent(ctx, ev)
	noErr(t, err)
	equal(t, "wait after changing a returned slice", matched, []*runbook.Wait{&wantWait})
	ev.Payload[0] = 'X'

	q := []*runbook.InboxQuery{{TenantID: "t", Type: "alert", CorrelationID: "c", Since: at(0)}}
	up := nextTx(tx.Execution, 1)
	up.MatchInbox = q
	res := mustCommit(t, s, up)
	equal(t, "inbox event after changing the caller's slice", res[0].Inbox[0], []*runbook.InboxEvent{&wantEvent})
	res[0].Inbox[0][0].Payload[0] = 'X'
	again := nextTx(up.Execution, 1)
	again.MatchInbox = q
	res = mustCommit(t, s, again)
	equal(t, "inbox event after changing a returned slice", res[0].Inbox[0], []*runbook.InboxEvent{&wantEvent})
}

func testTimesUTC(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	zone := time.FixedZone("UTC+2", 2*3600)
	local := func(sec int) time.Time { return at(sec).In(zone) }

	rb := newRunbook("triage", "1.0.0", local(0))
	_, err := s.PutRunbook(ctx, rb)
	noErr(t, err)
	gotRB, err := s.GetRunbook(ctx, "triage", "1.0.0")
	noErr(t, err)
	equal(t, "runbook", gotRB, newRunbook("triage", "1.0.0", at(0)))

	id := execID(1)
	rec := newExecution(id, "t", "")
	rec.CreatedAt, rec.UpdatedAt = local(1), local(2)
	tx := createTx(rec)
	tx.PutTasks = []*runbook.Task{{ExecutionID: id, Key: "k", Kind: runbook.TaskRun, DueAt: local(3)}}
	tx.PutWaits = []*runbook.Wait{{ExecutionID: id, StepID: "a", Kind: runbook.WaitEvent, TenantID: "t", EventType: "x", CorrelationID: "c",
		Deadline: local(4), CreatedAt: local(5), Since: local(6)}}
	mustCommit(t, s, tx)
	_, err = s.DeliverEvent(ctx, &runbook.InboxEvent{ID: "e", TenantID: "t", Type: "x", CorrelationID: "c", ReceivedAt: local(7)})
	noErr(t, err)

	gotExec, _, err := s.GetExecution(ctx, id)
	noErr(t, err)
	wantExec := newExecution(id, "t", "")
	wantExec.CreatedAt, wantExec.UpdatedAt = at(1), at(2)
	equal(t, "execution", gotExec, wantExec)

	claimed, err := s.ClaimTasks(ctx, "w", local(3), local(8), 1)
	noErr(t, err)
	equal(t, "task", claimed, []*runbook.Task{{ExecutionID: id, Key: "k", Kind: runbook.TaskRun, DueAt: at(3), Owner: "w", LeaseExpiresAt: at(8), Deliveries: 1}})

	waits, err := s.ListWaits(ctx, runbook.WaitFilter{})
	noErr(t, err)
	equal(t, "wait", waits, []*runbook.Wait{{ExecutionID: id, StepID: "a", Kind: runbook.WaitEvent, TenantID: "t", EventType: "x", CorrelationID: "c",
		Deadline: at(4), CreatedAt: at(5), Since: at(6)}})

	up := nextTx(wantExec, 1)
	up.MatchInbox = []*runbook.InboxQuery{{TenantID: "t", Type: "x", CorrelationID: "c", Since: local(7)}}
	res := mustCommit(t, s, up)
	equal(t, "inbox event", res[0].Inbox[0], []*runbook.InboxEvent{{ID: "e", TenantID: "t", Type: "x", CorrelationID: "c", ReceivedAt: at(7)}})
}

func testPingClose(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	noErr(t, s.Ping(ctx))
	noErr(t, s.Close())
	noErr(t, s.Close())

	now := at(0)
	calls := map[string]func() error{
		"Ping": func() error { return s.Ping(ctx) },
		"PutRunbook": func() error {
			_, err := s.PutRunbook(ctx, newRunbook("a", "1", now))
			return err
		},
		"GetRunbook": func() error {
			_, err := s.GetRunbook(ctx, "a", "1")
			return err
		},
		"ListRunbookVersions": func() error {
			_, err := s.ListRunbookVersions(ctx, "a")
			return err
		},
		"ListRunbooks": func() error {
			_, err := s.ListRunbooks(ctx)
			return err
		},
		"Commit": func() error {
			_, err := s.Commit(ctx, []*runbook.Transition{createTx(newExecution(execID(1), "t", ""))})
			return err
		},
		"GetExecution": func() error {
			_, _, err := s.GetExecution(ctx, execID(1))
			return err
		},
		"FindExecutionByKey": func() error {
			_, err := s.FindExecutionByKey(ctx, "t", "k")
			return err
		},
		"ListExecutions": func() error {
			_, err := s.ListExecutions(ctx, runbook.ExecutionFilter{})
			return err
		},
		"ListHistory": func() error {
			_, err := s.ListHistory(ctx, execID(1), 0, 0)
			return err
		},
		"ClaimTasks": func() error {
			_, err := s.ClaimTasks(ctx, "w", now, now, 1)
			return err
		},
		"NextDue": func() error {
			_, _, err := s.NextDue(ctx)
			return err
		},
		"ExtendLeases":  func() error { return s.ExtendLeases(ctx, "w", now) },
		"ReleaseLeases": func() error { return s.ReleaseLeases(ctx, "") },
		"DeliverEvent": func() error {
			_, err := s.DeliverEvent(ctx, &runbook.InboxEvent{ID: "e"})
			return err
		},
		"ListWaits": func() error {
			_, err := s.ListWaits(ctx, runbook.WaitFilter{})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s after Close succeeded", name)
		}
	}
}
