package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api/client"
)

// gatedRunbook waits for one of alice and bob; carol is authorised by the
// context but not an approver of the step.
const gatedRunbook = `
id: gated
version: "1"
steps:
  - {id: enrich, type: call-service, config: {url: "SVC/ok", method: POST}}
  - id: approve
    type: human-approval
    dependsOn: [enrich]
    approvalConfig: {approvers: [alice, bob], minApprovals: 1, timeoutMs: 3600000, prompt: "Isolate the host?"}
  - {id: contain, type: call-service, dependsOn: [approve], config: {url: "SVC/ok", method: POST}}
`

func awaitingApproval(x *runbook.Execution) bool {
	return x.StepResults["approve"].Status == runbook.StepAwaitingApproval
}

func TestApprovalInboxAndDecisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(gatedRunbook)
	ctx := context.Background()
	id := e.start("gated", nil)
	x := e.waitFor(id, "awaiting approval", awaitingApproval)
	if x.Status != runbook.ExecutionAwaitingApproval {
		t.Fatalf("execution %s", x.Status)
	}

	inbox, err := e.c.PendingApprovals(ctx, client.ApprovalOptions{Approver: "alice"})
	if err != nil || len(inbox) != 1 {
		t.Fatalf("alice's inbox: %+v %v", inbox, err)
	}
	p := inbox[0]
	if p.ExecutionID != id || p.StepID != "approve" || p.RunbookID != "gated" || p.Prompt != "Isolate the host?" ||
		len(p.Approvers) != 2 || p.MinApprovals != 1 || p.Deadline == nil || p.TenantID != "acme" || len(p.Decisions) != 0 {
		t.Fatalf("inbox entry %+v", p)
	}
	if other, err := e.c.PendingApprovals(ctx, client.ApprovalOptions{Approver: "carol"}); err != nil || len(other) != 0 {
		t.Fatalf("carol is no approver: %+v %v", other, err)
	}
	if tenant, err := e.c.PendingApprovals(ctx, client.ApprovalOptions{TenantID: "elsewhere"}); err != nil || len(tenant) != 0 {
		t.Fatalf("other tenant: %+v %v", tenant, err)
	}
	status, _, body := e.call(ctx, "GET", "/api/v1/approvals", "", "")
	if status != http.StatusOK || body["count"] != float64(1) || body["version"] != "v1" {
		t.Fatalf("inbox: %d %v", status, body)
	}

	path := "/api/v1/executions/" + id + "/steps/approve/approvals"
	errorCases := []struct {
		name   string
		path   string
		body   string
		header []string
		bad    bool
		status int
		code   string
	}{
		{"not an approver", path, `{"decision": "approved"}`, []string{"X-User-Id", "carol"}, false, http.StatusForbidden, runbook.EFORBIDDEN},
		{"no approver", path, `{"decision": "approved"}`, nil, false, http.StatusBadRequest, runbook.EINVALID},
		{"bad decision", path, `{"decision": "maybe", "approverId": "alice"}`, nil, true, http.StatusBadRequest, runbook.EINVALID},
		{"missing decision", path, `{"approverId": "alice"}`, nil, true, http.StatusBadRequest, runbook.EINVALID},
		{"unknown field", path, `{"decision": "approved", "approver": "alice"}`, nil, true, http.StatusBadRequest, runbook.EINVALID},
		{"unknown step", "/api/v1/executions/" + id + "/steps/ghost/approvals", `{"decision": "approved", "approverId": "alice"}`, nil, false,
			http.StatusNotFound, runbook.ENOTFOUND},
		{"unknown execution", "/api/v1/executions/ghost/steps/approve/approvals", `{"decision": "approved", "approverId": "alice"}`, nil, false,
			http.StatusNotFound, runbook.ENOTFOUND},
		{"step not awaiting approval", "/api/v1/executions/" + id + "/steps/enrich/approvals", `{"decision": "approved", "approverId": "alice"}`, nil, false,
			http.StatusConflict, runbook.ECONFLICT},
	}
	for _, c := range errorCases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			ctx := context.Background()
			if c.bad {
				ctx = badRequest(ctx)
			}
			status, _, body := e.call(ctx, "POST", c.path, "application/json", c.body, c.header...)
			wantError(t, status, body, c.status, c.code)
		})
	}

	// alice rejects: one approval is still possible, so the step waits.
	status, _, body = e.call(ctx, "POST", path, "application/json", `{"decision": "rejected", "comments": "not sure"}`, "X-User-Id", "alice")
	if status != http.StatusOK || body["status"] != "awaiting_approval" || body["approved"] != nil || len(body["approvals"].([]any)) != 1 {
		t.Fatalf("first rejection: %d %v", status, body)
	}
	// A second decision by the same approver is a conflict.
	_, err = e.c.Decide(ctx, id, "approve", client.DecisionRequest{Decision: runbook.Approved, ApproverID: "alice"})
	wantCode(t, err, runbook.ECONFLICT)
	if client.StatusCode(err) != http.StatusConflict {
		t.Fatalf("status of %v", err)
	}
	// alice decided: her inbox is empty, bob's is not.
	if mine, _ := e.c.PendingApprovals(ctx, client.ApprovalOptions{Approver: "alice"}); len(mine) != 0 {
		t.Fatalf("alice decided but still sees %+v", mine)
	}
	res, err := e.c.WithUser("bob").Decide(ctx, id, "approve", client.DecisionRequest{Decision: runbook.Approved, Comments: "go"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != runbook.StepCompleted || res.Approved == nil || !*res.Approved || len(res.Approvals) != 2 || res.Approvals[1].ApproverID != "bob" {
		t.Fatalf("approval: %+v", res)
	}
	x = e.waitStatus(id, runbook.ExecutionCompleted)
	if x.StepResults["contain"].Status != runbook.StepCompleted {
		t.Fatalf("containment after approval: %s", x.StepResults["contain"].Status)
	}
	_, err = e.c.Decide(ctx, id, "approve", client.DecisionRequest{Decision: runbook.Approved, ApproverID: "bob"})
	wantCode(t, err, runbook.ECONFLICT) // no longer awaiting approval

	status, _, body = e.call(badRequest(ctx), "GET", "/api/v1/approvals?status=approved", "", "")
	wantError(t, status, body, http.StatusBadRequest, runbook.EINVALID)
	status, _, body = e.call(badRequest(ctx), "GET", "/api/v1/approvals?limit=0", "", "")
	wantError(t, status, body, http.StatusBadRequest, runbook.EINVALID)
}

func TestApprovalRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(gatedRunbook)
	ctx := context.Background()
	id := e.start("gated", nil)
	e.waitFor(id, "awaiting approval", awaitingApproval)
	for _, who := range []string{"alice", "bob"} {
		if _, err := e.c.Decide(ctx, id, "approve", client.DecisionRequest{Decision: runbook.Rejected, ApproverID: who}); err != nil {
			t.Fatal(err)
		}
	}
	x := e.waitStatus(id, runbook.ExecutionFailed)
	if x.StepResults["approve"].Status != runbook.StepFailed || x.StepResults["contain"].Status == runbook.StepCompleted {
		t.Fatalf("rejected: %+v", x.StepResults)
	}
	if inbox, _ := e.c.PendingApprovals(ctx, client.ApprovalOptions{}); len(inbox) != 0 {
		t.Fatalf("inbox after the rejection: %+v", inbox)
	}
}

func TestRejectionAnswersApprovedFalse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(`
id: single
version: "1"
steps:
  - id: approve
    type: human-approval
    approvalConfig: {approvers: [alice], minApprovals: 1}
`)
	id := e.start("single", nil)
	e.waitFor(id, "awaiting approval", awaitingApproval)
	res, err := e.c.Decide(context.Background(), id, "approve", client.DecisionRequest{Decision: runbook.Rejected, ApproverID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != runbook.StepFailed || res.Approved == nil || *res.Approved {
		t.Fatalf("rejection: %+v", res)
	}
}
