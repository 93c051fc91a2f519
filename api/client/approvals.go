package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/runbookhq/runbook"
)

// DecisionRequest is an approver's decision on a human-approval step.
type DecisionRequest struct {
	Decision runbook.Decision `json:"decision"`
	Comments string           `json:"comments,omitempty"`
	// ApproverID is who decides; empty falls back to the client's user
	// (WithUser). One of them is required.
	ApproverID string `json:"approverId,omitempty"`
	// Iteration picks a loop iteration (1-based); 0 is the step itself.
	Iteration int `json:"iteration,omitempty"`
}

// DecisionResult is the step's approval state after a decision.
type DecisionResult struct {
	ExecutionID string             `json:"executionId"`
	StepID      string             `json:"stepId"`
	Status      runbook.StepStatus `json:"status"`
	Approvals   []runbook.Approval `json:"approvals"`
	// Approved is nil while decisions are pending, then true or false.
	Approved *bool `json:"approved"`
}

// Decide records an approval decision. An approver not listed on the step
// is a runbook.EFORBIDDEN error; a second decision by the same approver, or
// a step not awaiting approval, a runbook.ECONFLICT error.
func (c *Client) Decide(ctx context.Context, executionID, stepID string, req DecisionRequest) (*DecisionResult, error) {
	var out DecisionResult
	path := "/api/v1/executions" + pathOf(executionID, "steps", stepID, "approvals")
	if _, err := c.do(ctx, request{method: http.MethodPost, path: path, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ApprovalOptions filters the approval inbox.
type ApprovalOptions struct {
	// Approver leaves out steps the approver may not decide or already
	// decided.
	Approver string
	TenantID string
	Limit    int // 0: the server's default, 100
}

// PendingApprovals returns the steps waiting for approval decisions,
// oldest first.
func (c *Client) PendingApprovals(ctx context.Context, opts ApprovalOptions) ([]runbook.PendingApproval, error) {
	q := url.Values{"status": {"pending"}}
	set(q, "approver", opts.Approver)
	set(q, "tenantId", opts.TenantID)
	if opts.Limit != 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var out struct {
		Approvals []runbook.PendingApproval `json:"approvals"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/approvals", query: q}, &out); err != nil {
		return nil, err
	}
	return out.Approvals, nil
}
