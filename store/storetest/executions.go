package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func executionTests() []test {
	return []test{
		{"Execution/GetNotFound", testGetExecutionNotFound},
		{"Execution/List", testListExecutions},
		{"Execution/ListDefaultLimit", testListExecutionsDefaultLimit},
		{"History/Paging", testHistoryPaging},
		{"History/EventFields", testHistoryEventFields},
		{"History/Empty", testHistoryEmpty},
	}
}

func testGetExecutionNotFound(t *testing.T, s runbook.Store) {
	_, _, err := s.GetExecution(t.Context(), "nope")
	wantError(t, err, runbook.ENOTFOUND, `execution "nope" not found`)
}

func testListExecutions(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	var recs []*runbook.ExecutionRecord
	for i := 1; i <= 7; i++ {
		r := newExecution(execID(i), fmt.Sprintf("t%d", i%2), "")
		r.RunbookID = fmt.Sprintf("rb%d", i%3)
		if i%2 == 0 {
			r.Status = runbook.ExecutionCompleted
		}
		recs = append(recs, r)
	}
	// Store them out of order: the listing order comes from the ids.
	create(t, s, recs[3], recs[0], recs[6], recs[1], recs[5], recs[2], recs[4])

	for _, c := range []struct {
		name string
		f    runbook.ExecutionFilter
		want []int
	}{
		{"all, newest first", runbook.ExecutionFilter{}, []int{7, 6, 5, 4, 3, 2, 1}},
		{"runbook", runbook.ExecutionFilter{RunbookID: "rb1"}, []int{7, 4, 1}},
		{"status", runbook.ExecutionFilter{Status: runbook.ExecutionCompleted}, []int{6, 4, 2}},
		{"tenant", runbook.ExecutionFilter{TenantID: "t1"}, []int{7, 5, 3, 1}},
		{"runbook and tenant", runbook.ExecutionFilter{RunbookID: "rb1", TenantID: "t1"}, []int{7, 1}},
		{"status and tenant", runbook.ExecutionFilter{Status: runbook.ExecutionCompleted, TenantID: "t1"}, nil},
		{"unknown runbook", runbook.ExecutionFilter{RunbookID: "nope"}, nil},
		{"first page", runbook.ExecutionFilter{Limit: 3}, []int{7, 6, 5}},
		{"second page", runbook.ExecutionFilter{Limit: 3, Cursor: execID(5)}, []int{4, 3, 2}},
		{"last page", runbook.ExecutionFilter{Limit: 3, Cursor: execID(2)}, []int{1}},
		{"after the last", runbook.ExecutionFilter{Limit: 3, Cursor: execID(1)}, nil},
		{"cursor between ids", runbook.ExecutionFilter{Cursor: execID(5) + "0"}, []int{5, 4, 3, 2, 1}},
		{"cursor and filter", runbook.ExecutionFilter{TenantID: "t1", Cursor: execID(5), Limit: 1}, []int{3}},
	} {
		got, err := s.ListExecutions(ctx, c.f)
		noErr(t, err)
		var want []string
		for _, n := range c.want {
			want = append(want, execID(n))
		}
		equalStrings(t, c.name, ids(got), want)
		for _, r := range got {
			equal(t, c.name+": record", r, recs[indexOf(recs, r.ID)])
		}
	}
}

func indexOf(recs []*runbook.ExecutionRecord, id string) int {
	for i, r := range recs {
		if r.ID == id {
			return i
		}
	}
	return -1
}

func testListExecutionsDefaultLimit(t *testing.T, s runbook.Store) {
	var recs []*runbook.ExecutionRecord
	for i := 1; i <= 105; i++ {
		recs = append(recs, newExecution(execID(i), "t", ""))
	}
	create(t, s, recs...)
	got, err := s.ListExecutions(t.Context(), runbook.ExecutionFilter{})
	noErr(t, err)
	if len(got) != 100 || got[0].ID != execID(105) || got[99].ID != execID(6) {
		t.Fatalf("ListExecutions without limit returned %d executions, %v", len(got), ids(got))
	}
}

func testHistoryPaging(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	rec := newExecution(id, "t", "")
	create(t, s, rec)
	up1 := nextTx(rec, 4)
	up2 := nextTx(up1.Execution, 5)
	mustCommit(t, s, up1)
	mustCommit(t, s, up2)
	all := append(append(createTx(rec).Events, up1.Events...), up2.Events...)

	for _, c := range []struct {
		after int64
		limit int
		want  []int64
	}{
		{0, 0, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{3, 0, []int64{4, 5, 6, 7, 8, 9, 10}},
		{3, 4, []int64{4, 5, 6, 7}},
		{0, 3, []int64{1, 2, 3}},
		{9, 5, []int64{10}},
		{10, 0, nil},
		{42, 0, nil},
	} {
		got, err := s.ListHistory(ctx, id, c.after, c.limit)
		noErr(t, err)
		if fmt.Sprint(seqs(got)) != fmt.Sprint(c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Fatalf("ListHistory(after %d, limit %d) = seqs %v, want %v", c.after, c.limit, seqs(got), c.want)
		}
	}

	// Paging through the history returns every event once, in order.
	var paged []runbook.Event
	for after := int64(0); ; {
		page, err := s.ListHistory(ctx, id, after, 3)
		noErr(t, err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Seq
	}
	equalEvents(t, paged, all)

	_, err := s.ListHistory(ctx, "nope", 0, 0)
	wantError(t, err, runbook.ENOTFOUND, `execution "nope" not found`)
}

func testHistoryEventFields(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	due := at(30)
	deadline := at(3600)
	rec := newExecution(id, "t", "")
	rec.Seq = 3
	tx := &runbook.Transition{Create: true, Execution: rec, Events: []runbook.Event{
		{Seq: 1, Type: runbook.EventExecutionStarted, Time: at(1), Actor: "alice", Reason: "incident 42", Start: &runbook.StartInfo{
			RunbookID: "triage", RunbookVersion: "1.0.0", Input: map[string]any{"ip": "10.0.0.1", "n": 3.5},
			Context: runbook.ExecutionContext{
				LegalBasis: runbook.LegalBasis{Authority: "CERT", CaseID: "c-1", Classification: "TLP:AMBER", AuthorizedUsers: []string{"alice"}},
				TenantID:   "t", InitiatedBy: "alice", Assumptions: []string{},
			},
			IdempotencyKey: "k", Depth: 1, MaxDepth: 5, MaxConcurrentSteps: 4, Deadline: &deadline,
		}},
		{Seq: 2, Type: runbook.EventStepRetryScheduled, Time: at(2), StepID: "fetch", Iteration: 2, Attempt: 1,
			Error: &runbook.StepError{Message: "503", Code: "UNAVAILABLE", Retryable: true, StatusCode: 503, RetryAfterMs: 1500},
			DueAt: &due, Logs: []runbook.StepLog{{Time: at(2), Level: runbook.LogWarn, Message: "retrying", Metadata: map[string]any{"try": 1.0}}}},
		{Seq: 3, Type: runbook.EventApprovalRequested, Time: at(3), StepID: "approve", Wait: &runbook.WaitInfo{
			Kind: runbook.WaitApproval, Deadline: at(99), Approvers: []string{"alice", "bob"}, MinApprovals: 2, Prompt: "contain?",
		}},
	}}
	mustCommit(t, s, tx)
	got, err := s.ListHistory(ctx, id, 0, 0)
	noErr(t, err)
	equalEvents(t, got, tx.Events)
	for _, e := range got {
		if e.Time.Location() != time.UTC {
			t.Fatalf("event %d time %v is not in UTC", e.Seq, e.Time)
		}
	}
}

func testHistoryEmpty(t *testing.T, s runbook.Store) {
	id := execID(1)
	rec := newExecution(id, "t", "")
	rec.Seq = 0
	mustCommit(t, s, &runbook.Transition{Create: true, Execution: rec})
	got, err := s.ListHistory(t.Context(), id, 0, 0)
	noErr(t, err)
	if len(got) != 0 {
		t.Fatalf("ListHistory of an execution without events = %v", got)
	}
}
