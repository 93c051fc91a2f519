package runbook

import (
	"context"
	"fmt"
	"time"
)

// Executor runs one attempt of one step type. Executors are registered by
// type in a Registry built in main and handed to the engine.
type Executor interface {
	// Execute runs an attempt. It must honour ctx: cancellation of the
	// execution and the attempt timeout arrive through it.
	Execute(ctx context.Context, req *StepRequest) *Outcome
}

// InlineExecutor is an Executor that does no I/O and never blocks, so the
// engine may run it inside a state transition instead of handing it to a
// worker. Conditional, approval, event, loop and sub-runbook steps are
// inline: they decide or park, they do not wait.
type InlineExecutor interface {
	Executor
	Inline()
}

// SignalHandler is implemented by executors whose steps park (approval,
// event, child): it decides what a signal or a timeout does to the waiting
// step.
type SignalHandler interface {
	// HandleSignal applies a signal to a waiting step. It returns an error
	// (with a code such as ECONFLICT or EFORBIDDEN) when the signal is
	// refused; otherwise the events are recorded and, when the outcome is
	// non-nil, the step ends with it.
	HandleSignal(req *StepRequest, wait *WaitState, sig *Signal) (*Outcome, error)
	// HandleTimeout decides the outcome of a wait whose deadline passed.
	HandleTimeout(req *StepRequest, wait *WaitState) *Outcome
}

// Registry maps step types to their executors.
type Registry map[StepType]Executor

// StepRequest is what an executor sees of one attempt.
type StepRequest struct {
	ExecutionID string
	StepID      string
	Iteration   int // 1-based loop iteration, 0 for the step itself
	Attempt     int
	Step        *Step
	// Runbook is the definition the step belongs to.
	Runbook *Runbook
	// Config is the step's config with every placeholder resolved. When
	// the config has no placeholder it is the definition's own, shared by
	// every attempt: executors read it and must not change it.
	Config map[string]any
	// Data resolves field paths against the execution's data. It reads
	// the live state, so it is set only for inline executors, which run
	// inside the transition; other executors get their config rendered and
	// Data nil.
	Data    DataScope
	Context ExecutionContext
	// IdempotencyKey is stable across attempts and crashes of this step
	// (and iteration) of this execution.
	IdempotencyKey string
	// Timeout bounds the attempt (0: none).
	Timeout time.Duration
	Now     time.Time
	Depth   int
	// MaxDepth is the effective sub-runbook depth limit.
	MaxDepth int
}

// DataScope resolves field paths (input.x, context.x, steps.id.x, id.x,
// executionId, item, index, previous) against an execution's data.
type DataScope interface {
	Lookup(path string) (any, bool)
}

// Outcome is the result of an attempt: exactly one of Output (completed),
// Err (failed), Park (waits) or Loop (runs a body) applies.
type Outcome struct {
	Output any
	Err    *StepError
	Park   *WaitInfo
	Loop   *LoopPlan
	// NotTaken lists branch targets the step did not choose (conditional).
	NotTaken []string
	Logs     []StepLog
	Evidence []Evidence
}

// Failed returns an outcome that fails the attempt.
func Failed(retryable bool, format string, args ...any) *Outcome {
	return &Outcome{Err: &StepError{Message: fmt.Sprintf(format, args...), Retryable: retryable}}
}

// LoopPlan is what a loop step asks the engine to run.
type LoopPlan struct {
	// Items to iterate over; nil means while mode (ContinueWhile).
	Items         []any
	WhileMode     bool
	MaxIterations int
	Concurrency   int
	Body          *Step
	ContinueWhile *Condition
}

// WaitState is what a parked step has received so far.
type WaitState struct {
	Info      WaitInfo
	Approvals []Approval
	Since     time.Time
}

// Signal is something delivered to a parked step: an approval decision, an
// external event or a child execution's end.
type Signal struct {
	Kind     WaitKind
	Approval *Approval
	EventID  string
	Payload  any
	// Child execution end.
	ChildID     string
	ChildStatus ExecutionStatus
	ChildOutput any
	ChildError  string
}
