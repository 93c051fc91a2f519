package runbook

import "time"

// EventType names a history event.
type EventType string

// History event types. Every change of an execution is one of these,
// appended to its history with a sequence number.
const (
	EventExecutionStarted   EventType = "ExecutionStarted"
	EventExecutionPaused    EventType = "ExecutionPaused"
	EventExecutionResumed   EventType = "ExecutionResumed"
	EventExecutionCancelled EventType = "ExecutionCancelled"
	EventExecutionCompleted EventType = "ExecutionCompleted"
	EventExecutionFailed    EventType = "ExecutionFailed"

	EventStepStarted        EventType = "StepStarted"
	EventStepCompleted      EventType = "StepCompleted"
	EventStepFailed         EventType = "StepFailed"
	EventStepRetryScheduled EventType = "StepRetryScheduled"
	EventStepSkipped        EventType = "StepSkipped"
	EventStepCancelled      EventType = "StepCancelled"
	EventStepRetried        EventType = "StepRetried"
	EventStepReset          EventType = "StepReset"

	EventLoopStarted EventType = "LoopStarted"

	EventApprovalRequested EventType = "ApprovalRequested"
	EventApprovalRecorded  EventType = "ApprovalRecorded"
	EventEventAwaited      EventType = "EventAwaited"
	EventEventReceived     EventType = "EventReceived"
	EventChildStarted      EventType = "ChildExecutionStarted"
	EventChildFinished     EventType = "ChildExecutionFinished"
	EventTimerFired        EventType = "TimerFired"
)

// Event is one entry of an execution's history. Common fields come first;
// the rest are set according to Type (see docs/architecture.md). Iteration is
// 1-based and 0 for the step itself; loop body iterations carry their number.
type Event struct {
	Seq       int64     `json:"seq"`
	Type      EventType `json:"type"`
	Time      time.Time `json:"time"`
	Actor     string    `json:"actor,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	StepID    string    `json:"stepId,omitempty"`
	Iteration int       `json:"iteration,omitempty"`
	Attempt   int       `json:"attempt,omitempty"`

	// ExecutionStarted
	Start *StartInfo `json:"start,omitempty"`

	// StepCompleted, ExecutionCompleted, EventReceived, ChildExecutionFinished
	Output any `json:"output,omitempty"`
	// StepFailed, StepRetryScheduled, ExecutionFailed, ChildExecutionFinished
	Error *StepError `json:"error,omitempty"`
	// StepRetryScheduled: when the next attempt is due.
	DueAt *time.Time `json:"dueAt,omitempty"`
	// StepCompleted of a conditional: the branch targets that were not taken.
	NotTaken []string `json:"notTaken,omitempty"`
	// StepCompleted: the output was copied from the original execution (replay).
	Reused bool `json:"reused,omitempty"`
	// StepCompleted, StepFailed: how many times this attempt was delivered
	// to a worker (more than 1 after a crash).
	Deliveries int `json:"deliveries,omitempty"`
	// StepCompleted, StepFailed, StepRetryScheduled: what the executor logged.
	Logs []StepLog `json:"logs,omitempty"`
	// StepCompleted: evidence recorded by the step.
	Evidence []Evidence `json:"evidence,omitempty"`
	// LoopStarted: the items to iterate over (nil in while mode).
	Items []any `json:"items,omitempty"`
	// LoopStarted: iterations allowed at once.
	Concurrency int `json:"concurrency,omitempty"`
	// LoopStarted: the loop runs while a condition holds instead of over items.
	While bool `json:"while,omitempty"`
	// LoopStarted: the iteration limit.
	MaxIterations int `json:"maxIterations,omitempty"`
	// ApprovalRequested, EventAwaited, ChildExecutionStarted: the wait.
	Wait *WaitInfo `json:"wait,omitempty"`
	// ApprovalRecorded
	Approval *Approval `json:"approval,omitempty"`
	// EventReceived: the id of the delivered event.
	EventID string `json:"eventId,omitempty"`
	// TimerFired: which timer.
	Timer TimerKind `json:"timer,omitempty"`
	// ChildExecutionStarted, ChildExecutionFinished
	ChildID string `json:"childExecutionId,omitempty"`
	// ChildExecutionFinished: the child's final status.
	ChildStatus ExecutionStatus `json:"childStatus,omitempty"`
}

// StartInfo is the payload of ExecutionStarted: everything needed to rebuild
// the execution from its history alone.
type StartInfo struct {
	RunbookID           string           `json:"runbookId"`
	RunbookVersion      string           `json:"runbookVersion"`
	Input               any              `json:"input"`
	Context             ExecutionContext `json:"context"`
	IdempotencyKey      string           `json:"idempotencyKey,omitempty"`
	ParentExecutionID   string           `json:"parentExecutionId,omitempty"`
	ParentStepID        string           `json:"parentStepId,omitempty"`
	ParentIteration     int              `json:"parentIteration,omitempty"`
	Depth               int              `json:"depth"`
	MaxDepth            int              `json:"maxDepth"`
	MaxConcurrentSteps  int              `json:"maxConcurrentSteps"`
	Deadline            *time.Time       `json:"deadline,omitempty"`
	OriginalExecutionID string           `json:"originalExecutionId,omitempty"`
	FromStepID          string           `json:"fromStepId,omitempty"`
}

// StepError is why a step attempt failed.
type StepError struct {
	Message    string `json:"message"`
	Code       string `json:"code,omitempty"`
	Retryable  bool   `json:"retryable,omitempty"`
	StatusCode int    `json:"statusCode,omitempty"`
	// RetryAfterMs is the delay the target asked for (Retry-After), if any.
	RetryAfterMs int64 `json:"retryAfterMs,omitempty"`
}

func (e *StepError) Error() string { return e.Message }

// StepLog is a line logged by an executor during an attempt.
type StepLog struct {
	Time     time.Time      `json:"time"`
	Level    LogLevel       `json:"level"`
	Message  string         `json:"message"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// TimerKind names a durable timer.
type TimerKind string

// Timer kinds.
const (
	TimerRetry    TimerKind = "retry"
	TimerApproval TimerKind = "approval-timeout"
	TimerEvent    TimerKind = "event-timeout"
	TimerChild    TimerKind = "child-timeout"
	TimerGlobal   TimerKind = "global-timeout"
)
