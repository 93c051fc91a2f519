package engine_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
)

func approvalRunbook(min int, approvers string, timeoutAction string) string {
	return `
id: approve
version: "1"
steps:
  - id: ask
    type: human-approval
    approvalConfig:
      approvers: ` + approvers + `
      minApprovals: ` + strconv.Itoa(min) + `
      timeoutMs: 1800000
      timeoutAction: ` + timeoutAction + `
      prompt: Contain the host?
  - {id: contain, type: call-service, dependsOn: [ask], config: {url: "STUB/ok", method: POST}}
`
}

func decide(h *harness, id, step, who string, d runbook.Decision) (*runbook.StepResult, error) {
	return h.e.Decide(context.Background(), id, step, engine.DecisionRequest{ApproverID: who, Decision: d, Comments: "checked by " + who})
}

func TestTwoOfTwoApprovalsComplete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(approvalRunbook(2, "[alice, bob]", "fail"))
	id := h.start("approve", nil)
	x := h.waitStatus(id, runbook.ExecutionAwaitingApproval)
	if w := x.StepResults["ask"].Wait; w == nil || w.Prompt != "Contain the host?" || !w.Deadline.Equal(epoch.Add(30*time.Minute)) {
		t.Fatalf("wait = %+v", w)
	}
	if n := h.liveActorsSettled(); n != 0 {
		t.Fatalf("a parked execution must not stay in memory (%d live)", n)
	}
	inbox, err := h.e.PendingApprovals(context.Background(), "bob", "", 0)
	if err != nil || len(inbox) != 1 || inbox[0].ExecutionID != id {
		t.Fatalf("bob's inbox = %+v, %v", inbox, err)
	}
	r, err := decide(h, id, "ask", "alice", runbook.Approved)
	if err != nil || r.Status != runbook.StepAwaitingApproval || len(r.Approvals) != 1 {
		t.Fatalf("first approval: %+v, %v", r, err)
	}
	if inbox, _ := h.e.PendingApprovals(context.Background(), "alice", "", 0); len(inbox) != 0 {
		t.Fatalf("alice decided; her inbox should be empty: %+v", inbox)
	}
	if _, err := decide(h, id, "ask", "alice", runbook.Approved); runbook.ErrorCode(err) != runbook.ECONFLICT {
		t.Fatalf("a second decision by the same approver: %v", err)
	}
	if _, err := decide(h, id, "ask", "mallory", runbook.Approved); runbook.ErrorCode(err) != runbook.EFORBIDDEN {
		t.Fatalf("a decision by someone not listed: %v", err)
	}
	r, err = decide(h, id, "ask", "bob", runbook.Approved)
	if err != nil || r.Status != runbook.StepCompleted {
		t.Fatalf("second approval: %+v, %v", r, err)
	}
	x = h.waitStatus(id, runbook.ExecutionCompleted)
	out := x.StepResults["ask"].Output.(map[string]any)
	if out["approved"] != true || len(out["approvals"].([]any)) != 2 {
		t.Fatalf("output = %v", out)
	}
	var recorded []runbook.Event
	for _, ev := range h.history(id) {
		if ev.Type == runbook.EventApprovalRecorded {
			recorded = append(recorded, ev)
		}
	}
	if len(recorded) != 2 || recorded[0].Actor != "alice" || recorded[0].Approval.Comments != "checked by alice" {
		t.Fatalf("decisions must be in the history with approver and comment: %+v", recorded)
	}
	h.checkFold(id)
}

func TestTwoRejectionsOfThreeFailWithMinTwo(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(approvalRunbook(2, "[alice, bob, carol]", "fail"))
	id := h.start("approve", nil)
	h.waitStatus(id, runbook.ExecutionAwaitingApproval)
	if _, err := decide(h, id, "ask", "alice", runbook.Rejected); err != nil {
		t.Fatal(err)
	}
	r, err := decide(h, id, "ask", "bob", runbook.Rejected)
	if err != nil || r.Status != runbook.StepFailed || !strings.Contains(r.Error, "rejected") {
		t.Fatalf("after two rejections: %+v, %v", r, err)
	}
	x := h.waitStatus(id, runbook.ExecutionFailed)
	if s := x.StepResults["contain"].Status; s != runbook.StepPending {
		t.Fatalf("contain = %s", s)
	}
	if _, err := decide(h, id, "ask", "carol", runbook.Approved); runbook.ErrorCode(err) != runbook.ECONFLICT {
		t.Fatalf("a decision after the step ended: %v", err)
	}
}

func TestApprovalTimeoutActions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		action     string
		status     runbook.ExecutionStatus
		errContain string
	}{
		{"approve", runbook.ExecutionCompleted, ""},
		{"fail", runbook.ExecutionFailed, "timed out"},
		{"reject", runbook.ExecutionFailed, "rejected"},
	}
	for _, c := range cases {
		t.Run(c.action, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.put(approvalRunbook(1, "[alice]", c.action))
			id := h.start("approve", nil)
			h.waitStatus(id, runbook.ExecutionAwaitingApproval)
			h.advance(29 * time.Minute)
			if x := h.get(id); x.Status != runbook.ExecutionAwaitingApproval {
				t.Fatalf("before the deadline: %s", x.Status)
			}
			h.advance(time.Minute)
			x := h.waitStatus(id, c.status)
			r := x.StepResults["ask"]
			if c.errContain == "" {
				if out := r.Output.(map[string]any); out["autoApproved"] != true {
					t.Fatalf("output = %v", out)
				}
				return
			}
			if !strings.Contains(r.Error, c.errContain) {
				t.Fatalf("error %q should contain %q", r.Error, c.errContain)
			}
		})
	}
}

func TestApproverOutsideTheLegalBasisFailsTheStepAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(approvalRunbook(1, "[alice, eve]", "fail"))
	id := h.start("approve", nil)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	if r := x.StepResults["ask"]; !strings.Contains(r.Error, "eve") {
		t.Fatalf("error should name the unauthorized approver: %q", r.Error)
	}
}

const waitRunbook = `
id: scan
version: "1"
steps:
  - {id: kick, type: call-service, config: {url: "STUB/gate/kick", method: POST}}
  - id: wait-scan
    type: wait-for-event
    dependsOn: [kick]
    config: {eventType: scan.completed, correlationId: "{input.host}", timeoutMs: 60000}
  - {id: report, type: call-service, dependsOn: [wait-scan], config: {url: "STUB/echo", method: POST, body: "{wait-scan.verdict}"}}
`

func TestEventBeforeTheWaitStillCounts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(waitRunbook)
	id := h.start("scan", map[string]any{"host": "web-1"})
	h.gates.waitArrived(t, "kick")
	ctx := context.Background()
	_, matched, err := h.e.SendEvent(ctx, engine.EventRequest{Type: "scan.completed", CorrelationID: "web-1", TenantID: "acme",
		Payload: map[string]any{"verdict": "clean"}})
	if err != nil || matched != 0 {
		t.Fatalf("nobody waits yet: matched %d, %v", matched, err)
	}
	h.gates.open("kick")
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	if got := x.StepResults["report"].Output.(map[string]any)["body"]; got != "clean" {
		t.Fatalf("report got %v", got)
	}
	h.checkFold(id)
}

func TestEventWakesEveryMatchingWaitOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(waitRunbook)
	h.gates.open("kick")
	a := h.start("scan", map[string]any{"host": "web-1"})
	b := h.start("scan", map[string]any{"host": "web-1"})
	other := h.start("scan", map[string]any{"host": "db-1"})
	for _, id := range []string{a, b, other} {
		h.waitStatus(id, runbook.ExecutionAwaitingEvent)
	}
	ctx := context.Background()
	_, matched, err := h.e.SendEvent(ctx, engine.EventRequest{Type: "scan.completed", CorrelationID: "web-1", TenantID: "other-tenant"})
	if err != nil || matched != 0 {
		t.Fatalf("another tenant's event matched %d, %v", matched, err)
	}
	_, matched, err = h.e.SendEvent(ctx, engine.EventRequest{Type: "scan.completed", CorrelationID: "web-1", TenantID: "acme",
		Payload: map[string]any{"verdict": "infected"}})
	if err != nil || matched != 2 {
		t.Fatalf("matched %d, %v", matched, err)
	}
	for _, id := range []string{a, b} {
		h.waitStatus(id, runbook.ExecutionCompleted)
	}
	_, matched, _ = h.e.SendEvent(ctx, engine.EventRequest{Type: "scan.completed", CorrelationID: "web-1", TenantID: "acme"})
	if matched != 0 {
		t.Fatalf("a step received a second event: matched %d", matched)
	}
	if s := h.get(other).Status; s != runbook.ExecutionAwaitingEvent {
		t.Fatalf("the db-1 run was woken: %s", s)
	}
}

func TestEventTimeoutFailsTheStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(waitRunbook)
	h.gates.open("kick")
	id := h.start("scan", map[string]any{"host": "web-1"})
	h.waitStatus(id, runbook.ExecutionAwaitingEvent)
	h.advance(time.Minute)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	if r := x.StepResults["wait-scan"]; !strings.Contains(r.Error, "timeout waiting for event") {
		t.Fatalf("error = %q", r.Error)
	}
}

func TestSubRunbookCompletesWithTheChildOutput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: child
version: "1"
steps:
  - {id: lookup, type: call-service, config: {url: "STUB/json?owner={input.user}", method: GET}}
`)
	h.put(`
id: parent
version: "1"
steps:
  - id: sub
    type: runbook
    config: {runbookId: child, input: {user: "{input.user}"}}
  - {id: use, type: call-service, dependsOn: [sub], config: {url: "STUB/echo", method: POST, body: "{sub.lookup.owner}"}}
`)
	id := h.start("parent", map[string]any{"user": "jdoe"})
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	if got := x.StepResults["use"].Output.(map[string]any)["body"]; got != "jdoe" {
		t.Fatalf("parent saw %v", got)
	}
	childID := x.StepResults["sub"].ChildID
	child := h.get(childID)
	if child.ParentExecutionID != id || child.Depth != 1 || child.Status != runbook.ExecutionCompleted {
		t.Fatalf("child = %+v", child)
	}
	h.checkFold(id)
	h.checkFold(childID)
}

func TestSubRunbookRecursionStopsAtMaxDepth(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: recurse
version: "1"
maxDepth: 3
steps:
  - {id: again, type: runbook, config: {runbookId: recurse}}
`)
	id := h.start("recurse", nil)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	if !strings.Contains(x.Error, "maximum runbook depth 3 exceeded") {
		t.Fatalf("error = %q", x.Error)
	}
}

func TestApproversCanComeFromTheInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: dynamic
version: "1"
steps:
  - id: ask
    type: human-approval
    approvalConfig:
      approvers: ["{input.approvers}", "{input.owner}"]
      minApprovals: 3
      prompt: "Isolate {input.host}?"
`)
	id := h.start("dynamic", map[string]any{"approvers": []any{"alice", "bob"}, "owner": "carol", "host": "web-1"})
	x := h.waitStatus(id, runbook.ExecutionAwaitingApproval)
	w := x.StepResults["ask"].Wait
	if strings.Join(w.Approvers, ",") != "alice,bob,carol" || w.Prompt != "Isolate web-1?" || w.MinApprovals != 3 {
		t.Fatalf("wait = %+v", w)
	}
	for _, who := range []string{"alice", "bob", "carol"} {
		if _, err := decide(h, id, "ask", who, runbook.Approved); err != nil {
			t.Fatal(err)
		}
	}
	h.waitStatus(id, runbook.ExecutionCompleted)
}

func TestSubRunbookTimeoutCancelsTheChild(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: slow-child
version: "1"
steps:
  - {id: hold, type: call-service, config: {url: "STUB/gate/child", method: GET}}
`)
	h.put(`
id: impatient
version: "1"
steps:
  - {id: sub, type: runbook, timeoutMs: 60000, config: {runbookId: slow-child}}
`)
	id := h.start("impatient", nil)
	h.gates.waitArrived(t, "child")
	childID := h.get(id).StepResults["sub"].ChildID
	h.advance(time.Minute)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	if r := x.StepResults["sub"]; !strings.Contains(r.Error, "timed out") {
		t.Fatalf("sub = %+v", r)
	}
	child := h.waitStatus(childID, runbook.ExecutionCancelled)
	if !strings.Contains(child.CancellationReason, id) {
		t.Fatalf("the child's cancellation should name the parent: %q", child.CancellationReason)
	}
	h.checkFold(id)
	h.checkFold(childID)
}
