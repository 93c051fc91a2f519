package subrunbook

import (
	"context"
	"fmt"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor"
)

// Executor runs runbook (sub-runbook) steps.
type Executor struct{}

var (
	_ runbook.InlineExecutor = (*Executor)(nil)
	_ runbook.SignalHandler  = (*Executor)(nil)
)

// New returns an Executor.
func New() *Executor { return &Executor{} }

// Inline marks the executor as one the engine may run inside a state
// transition: it only parks, it never waits.
func (*Executor) Inline() {}

// Execute parks the step on a child execution of the configured runbook,
// unless the child would nest deeper than the execution allows. The step's
// timeoutMs, when set, bounds the wait.
func (*Executor) Execute(_ context.Context, req *runbook.StepRequest) *runbook.Outcome {
	var cfg runbook.SubRunbookConfig
	if err := executor.DecodeConfig(req.Config, &cfg); err != nil {
		return invalid("invalid runbook step config: %v", err)
	}
	if cfg.RunbookID == "" {
		return invalid("missing required config: runbookId")
	}
	maxDepth := req.MaxDepth
	if maxDepth <= 0 {
		maxDepth = runbook.DefaultMaxDepth
	}
	if req.Depth+1 > maxDepth {
		return invalid("maximum runbook depth %d exceeded", maxDepth)
	}
	wait := &runbook.WaitInfo{
		Kind:           runbook.WaitChild,
		RunbookID:      cfg.RunbookID,
		RunbookVersion: cfg.RunbookVersion,
		Input:          cfg.Input,
	}
	if req.Step != nil && req.Step.TimeoutMs > 0 {
		wait.Deadline = req.Now.Add(time.Duration(req.Step.TimeoutMs) * time.Millisecond)
	}
	return &runbook.Outcome{Park: wait}
}

// HandleSignal ends the step as the child ended: with its output, or failed
// when the child failed or was cancelled.
func (*Executor) HandleSignal(req *runbook.StepRequest, wait *runbook.WaitState, sig *runbook.Signal) (*runbook.Outcome, error) {
	if sig == nil || sig.Kind != runbook.WaitChild {
		return nil, runbook.Errorf(runbook.EINVALID, "step %q waits for a child execution", req.StepID)
	}
	switch sig.ChildStatus {
	case runbook.ExecutionCompleted:
		return &runbook.Outcome{Output: sig.ChildOutput}, nil
	case runbook.ExecutionFailed:
		msg := fmt.Sprintf("sub-runbook %q execution %s failed", wait.Info.RunbookID, sig.ChildID)
		if sig.ChildError != "" {
			msg += ": " + sig.ChildError
		}
		return &runbook.Outcome{Err: &runbook.StepError{Message: msg}}, nil
	case runbook.ExecutionCancelled:
		return runbook.Failed(false, "sub-runbook %q execution %s was cancelled", wait.Info.RunbookID, sig.ChildID), nil
	}
	return nil, runbook.Errorf(runbook.EINVALID, "child execution %s of step %q has not ended (status %q)", sig.ChildID, req.StepID, sig.ChildStatus)
}

// HandleTimeout fails the step: the child did not end within the step's
// timeout.
func (*Executor) HandleTimeout(req *runbook.StepRequest, wait *runbook.WaitState) *runbook.Outcome {
	out := runbook.Failed(false, "sub-runbook timed out: %q did not finish", wait.Info.RunbookID)
	switch {
	case req.Step != nil && req.Step.TimeoutMs > 0:
		out.Err.Message += fmt.Sprintf(" within %dms", req.Step.TimeoutMs)
	case !wait.Since.IsZero() && !wait.Info.Deadline.IsZero():
		out.Err.Message += fmt.Sprintf(" within %dms", wait.Info.Deadline.Sub(wait.Since).Milliseconds())
	}
	out.Err.Code = runbook.ETIMEOUT
	return out
}

// invalid is the non-retryable failure of a step that cannot run.
func invalid(format string, args ...any) *runbook.Outcome {
	out := runbook.Failed(false, format, args...)
	out.Err.Code = runbook.EINVALID
	return out
}
