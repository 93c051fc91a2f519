// Package approval implements the human-approval step. The step parks until
// enough approvers decide: Execute checks the approvers against the
// execution's legal basis and returns the wait; HandleSignal records one
// decision at a time and ends the step when the approvals reach
// minApprovals (approved) or can no longer reach it (rejected);
// HandleTimeout applies the step's timeoutAction.
package approval
