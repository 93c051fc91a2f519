package approval

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/runbookhq/runbook"
)

// Executor runs human-approval steps. It holds no state: every decision so
// far arrives in the runbook.WaitState.
type Executor struct{}

var (
	_ runbook.InlineExecutor = (*Executor)(nil)
	_ runbook.SignalHandler  = (*Executor)(nil)
)

// New returns an Executor.
func New() *Executor { return &Executor{} }

// Inline marks the executor as one the engine may run inside a state
// transition: it only decides, it never waits.
func (*Executor) Inline() {}

// Execute checks the step's approvers and parks it until they decide.
func (*Executor) Execute(_ context.Context, req *runbook.StepRequest) *runbook.Outcome {
	var cfg *runbook.ApprovalConfig
	if req.Step != nil {
		cfg = req.Step.ApprovalConfig
	}
	if cfg == nil || len(cfg.Approvers) == 0 {
		return invalid("human-approval step %q has no approvers", req.StepID)
	}
	approvers := unique(cfg.Approvers)
	minApprovals := max(cfg.MinApprovals, 1)
	if minApprovals > len(approvers) {
		return invalid("minApprovals %d exceeds the %d approvers of step %q", minApprovals, len(approvers), req.StepID)
	}
	var unauthorized []string
	for _, a := range approvers {
		if !slices.Contains(req.Context.LegalBasis.AuthorizedUsers, a) {
			unauthorized = append(unauthorized, a)
		}
	}
	if len(unauthorized) > 0 {
		return &runbook.Outcome{Err: &runbook.StepError{
			Message: "approvers not authorized by the execution's legal basis: " + strings.Join(unauthorized, ", "),
			Code:    runbook.EFORBIDDEN,
		}}
	}
	action := cfg.TimeoutAction
	if action == "" {
		action = runbook.TimeoutFail
	}
	wait := &runbook.WaitInfo{
		Kind:          runbook.WaitApproval,
		Approvers:     approvers,
		MinApprovals:  minApprovals,
		Prompt:        cfg.Prompt,
		TimeoutAction: string(action),
	}
	if cfg.TimeoutMs > 0 {
		wait.Deadline = req.Now.Add(time.Duration(cfg.TimeoutMs) * time.Millisecond)
	}
	return &runbook.Outcome{Park: wait}
}

// HandleSignal records one approver's decision. It ends the step when the
// approvals reach the minimum, or when the approvers who have not decided
// can no longer bring them there; otherwise the step keeps waiting.
func (*Executor) HandleSignal(req *runbook.StepRequest, wait *runbook.WaitState, sig *runbook.Signal) (*runbook.Outcome, error) {
	if sig == nil || sig.Kind != runbook.WaitApproval || sig.Approval == nil {
		return nil, runbook.Errorf(runbook.EINVALID, "step %q waits for an approval decision", req.StepID)
	}
	a := *sig.Approval
	if a.ApproverID == "" {
		return nil, runbook.Errorf(runbook.EINVALID, "an approval decision needs an approverId")
	}
	if a.Decision != runbook.Approved && a.Decision != runbook.Rejected {
		return nil, runbook.Errorf(runbook.EINVALID, "decision %q is not %q or %q", a.Decision, runbook.Approved, runbook.Rejected)
	}
	if !slices.Contains(wait.Info.Approvers, a.ApproverID) {
		return nil, runbook.Errorf(runbook.EFORBIDDEN, "user %q is not an approver of step %q", a.ApproverID, req.StepID)
	}
	for _, prev := range wait.Approvals {
		if prev.ApproverID == a.ApproverID {
			return nil, runbook.Errorf(runbook.ECONFLICT, "%q has already decided on step %q", a.ApproverID, req.StepID)
		}
	}
	decisions := append(slices.Clip(wait.Approvals), a)
	approved, rejected := count(decisions)
	undecided := len(wait.Info.Approvers) - len(decisions)
	need := max(wait.Info.MinApprovals, 1)
	switch {
	case approved >= need:
		return &runbook.Outcome{Output: output(decisions, false)}, nil
	case approved+undecided < need:
		return runbook.Failed(false, "approval rejected: %d of %d approvers rejected, %d approvals needed",
			rejected, len(wait.Info.Approvers), need), nil
	}
	return nil, nil
}

// HandleTimeout applies the step's timeoutAction when no sufficient
// decision came before the deadline.
func (*Executor) HandleTimeout(req *runbook.StepRequest, wait *runbook.WaitState) *runbook.Outcome {
	timeoutMs := waitedMs(req, wait)
	switch runbook.TimeoutAction(wait.Info.TimeoutAction) {
	case runbook.TimeoutApprove:
		return &runbook.Outcome{Output: output(wait.Approvals, true)}
	case runbook.TimeoutReject:
		return runbook.Failed(false, "approval rejected: no decision within %dms (timeoutAction reject)", timeoutMs)
	}
	out := runbook.Failed(false, "approval timed out after %dms", timeoutMs)
	out.Err.Code = runbook.ETIMEOUT
	return out
}

// waitedMs is the step's approval timeout, as configured or as the wait
// recorded it.
func waitedMs(req *runbook.StepRequest, wait *runbook.WaitState) int64 {
	if req.Step != nil && req.Step.ApprovalConfig != nil && req.Step.ApprovalConfig.TimeoutMs > 0 {
		return req.Step.ApprovalConfig.TimeoutMs
	}
	if !wait.Since.IsZero() && !wait.Info.Deadline.IsZero() {
		return wait.Info.Deadline.Sub(wait.Since).Milliseconds()
	}
	return 0
}

// output is the step's output once approved: every decision recorded, as
// JSON-like values so that later steps can address them by path.
func output(decisions []runbook.Approval, auto bool) map[string]any {
	list := make([]any, 0, len(decisions))
	for _, d := range decisions {
		m := map[string]any{
			"approverId": d.ApproverID,
			"decision":   string(d.Decision),
			"timestamp":  d.Timestamp.Format(time.RFC3339Nano),
		}
		if d.Comments != "" {
			m["comments"] = d.Comments
		}
		list = append(list, m)
	}
	return map[string]any{"approved": true, "autoApproved": auto, "approvals": list}
}

// count returns how many decisions approve and how many reject.
func count(decisions []runbook.Approval) (approved, rejected int) {
	for _, d := range decisions {
		if d.Decision == runbook.Approved {
			approved++
		} else {
			rejected++
		}
	}
	return approved, rejected
}

// unique returns ids without repeats, in their first order.
func unique(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// invalid is the non-retryable failure of a step whose config cannot work.
func invalid(format string, args ...any) *runbook.Outcome {
	out := runbook.Failed(false, format, args...)
	out.Err.Code = runbook.EINVALID
	return out
}
