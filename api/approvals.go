package api

import (
	"net/http"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
)

// Limits of the approval inbox.
const (
	defaultApprovalsLimit = 100
	maxApprovalsLimit     = 1000
)

// decisionRequest is the body of POST .../steps/{stepId}/approvals.
type decisionRequest struct {
	Decision   runbook.Decision `json:"decision"`
	Comments   string           `json:"comments"`
	ApproverID string           `json:"approverId"`
	// Iteration picks a loop iteration (1-based); 0 is the step itself or
	// the first iteration awaiting approval.
	Iteration int `json:"iteration"`
}

type decisionResponse struct {
	envelope
	ExecutionID string             `json:"executionId"`
	StepID      string             `json:"stepId"`
	Status      runbook.StepStatus `json:"status"`
	Approvals   []approvalView     `json:"approvals"`
	// Approved is true once the step is approved, false once it is
	// rejected (or failed), null while decisions are pending.
	Approved *bool `json:"approved"`
}

// decide records an approver's decision on a human-approval step.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) error {
	var req decisionRequest
	if err := s.decodeJSON(r, &req, true); err != nil {
		return err
	}
	if req.Decision != runbook.Approved && req.Decision != runbook.Rejected {
		return invalidField("decision", `must be "approved" or "rejected"`)
	}
	if req.Iteration < 0 {
		return invalidField("iteration", "must not be negative")
	}
	approver := userOf(r, req.ApproverID)
	if approver == "" {
		return invalidField("approverId", "is required (or the X-User-Id header)")
	}
	id, step := r.PathValue("id"), r.PathValue("stepId")
	res, err := s.eng.Decide(r.Context(), id, step, engine.DecisionRequest{ApproverID: approver, Decision: req.Decision,
		Comments: req.Comments, Iteration: req.Iteration})
	if err != nil {
		return err
	}
	resp := decisionResponse{envelope: v1(), ExecutionID: id, StepID: step, Status: res.Status, Approvals: viewApprovals(res.Approvals)}
	if resp.Approvals == nil {
		resp.Approvals = []approvalView{}
	}
	switch res.Status {
	case runbook.StepCompleted:
		yes := true
		resp.Approved = &yes
	case runbook.StepFailed, runbook.StepCancelled:
		no := false
		resp.Approved = &no
	}
	return s.reply(w, r, http.StatusOK, resp)
}

type approvalsResponse struct {
	envelope
	Count     int                   `json:"count"`
	Approvals []pendingApprovalView `json:"approvals"`
}

// pendingApprovals is the approval inbox: steps waiting for decisions,
// oldest first, optionally for one approver or tenant.
func (s *Server) pendingApprovals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if st := q.Get("status"); st != "" && st != "pending" {
		return invalidParam("status", "only %q is supported; decisions already made are in each execution's history", "pending")
	}
	limit, err := intParam(q, "limit", defaultApprovalsLimit, 1, maxApprovalsLimit)
	if err != nil {
		return err
	}
	list, err := s.eng.PendingApprovals(r.Context(), q.Get("approver"), q.Get("tenantId"), limit)
	if err != nil {
		return err
	}
	return s.reply(w, r, http.StatusOK, approvalsResponse{envelope: v1(), Count: len(list), Approvals: viewPendingApprovals(list)})
}
