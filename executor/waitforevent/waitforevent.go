package waitforevent

import (
	"context"
	"fmt"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor"
)

// Executor runs wait-for-event steps.
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

// Execute parks the step until the event arrives or the timeout passes.
func (*Executor) Execute(_ context.Context, req *runbook.StepRequest) *runbook.Outcome {
	cfg, err := decode(req)
	if err != nil {
		return invalid("invalid wait-for-event config: %v", err)
	}
	if cfg.EventType == "" {
		return invalid("missing required config: eventType")
	}
	return &runbook.Outcome{Park: &runbook.WaitInfo{
		Kind:          runbook.WaitEvent,
		EventType:     cfg.EventType,
		CorrelationID: cfg.CorrelationID,
		TenantID:      req.Context.TenantID,
		Deadline:      req.Now.Add(time.Duration(timeoutMs(req, cfg)) * time.Millisecond),
	}}
}

// HandleSignal completes the step with the delivered event's payload.
func (*Executor) HandleSignal(req *runbook.StepRequest, _ *runbook.WaitState, sig *runbook.Signal) (*runbook.Outcome, error) {
	if sig == nil || sig.Kind != runbook.WaitEvent {
		return nil, runbook.Errorf(runbook.EINVALID, "step %q waits for an event", req.StepID)
	}
	return &runbook.Outcome{Output: sig.Payload}, nil
}

// HandleTimeout fails the step: the event did not come in time.
func (*Executor) HandleTimeout(req *runbook.StepRequest, wait *runbook.WaitState) *runbook.Outcome {
	ms := waitedMs(req, wait)
	msg := fmt.Sprintf("timeout waiting for event %q", wait.Info.EventType)
	if wait.Info.CorrelationID != "" {
		msg += fmt.Sprintf(" (correlation %q)", wait.Info.CorrelationID)
	}
	msg += fmt.Sprintf(" after %dms", ms)
	return &runbook.Outcome{Err: &runbook.StepError{Message: msg, Code: runbook.ETIMEOUT}}
}

// decode reads the step's rendered config.
func decode(req *runbook.StepRequest) (*runbook.WaitForEventConfig, error) {
	var cfg runbook.WaitForEventConfig
	if err := executor.DecodeConfig(req.Config, &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// timeoutMs is the config's timeoutMs, else the step's, else the default.
func timeoutMs(req *runbook.StepRequest, cfg *runbook.WaitForEventConfig) int64 {
	if cfg.TimeoutMs > 0 {
		return cfg.TimeoutMs
	}
	if req.Step != nil && req.Step.TimeoutMs > 0 {
		return req.Step.TimeoutMs
	}
	return runbook.DefaultEventTimeoutMs
}

// waitedMs is how long the step waited: the configured timeout, else the
// length of the recorded wait.
func waitedMs(req *runbook.StepRequest, wait *runbook.WaitState) int64 {
	if cfg, err := decode(req); err == nil && req.Config != nil {
		return timeoutMs(req, cfg)
	}
	if !wait.Since.IsZero() && !wait.Info.Deadline.IsZero() {
		return wait.Info.Deadline.Sub(wait.Since).Milliseconds()
	}
	return runbook.DefaultEventTimeoutMs
}

// invalid is the non-retryable failure of a step whose config cannot work.
func invalid(format string, args ...any) *runbook.Outcome {
	out := runbook.Failed(false, format, args...)
	out.Err.Code = runbook.EINVALID
	return out
}
