package engine

import (
	"slices"
	"time"

	"github.com/runbookhq/runbook"
)

// execState is the current state of one execution: a pure fold of its history
// (see apply). The engine keeps it in memory only while the execution has
// work in flight on this node; otherwise it is rebuilt from the stored
// snapshot, which is the same fold materialised.
type execState struct {
	ID                 string                   `json:"id"`
	RunbookID          string                   `json:"runbookId"`
	RunbookVersion     string                   `json:"runbookVersion"`
	Status             runbook.ExecutionStatus  `json:"status"`
	Input              any                      `json:"-"` // stored once, in the record's Static
	Context            runbook.ExecutionContext `json:"-"`
	IdempotencyKey     string                   `json:"idempotencyKey,omitempty"`
	ParentID           string                   `json:"parentExecutionId,omitempty"`
	ParentStepID       string                   `json:"parentStepId,omitempty"`
	ParentIteration    int                      `json:"parentIteration,omitempty"`
	Depth              int                      `json:"depth"`
	MaxDepth           int                      `json:"maxDepth"`
	MaxConcurrent      int                      `json:"maxConcurrentSteps"`
	Deadline           *time.Time               `json:"deadline,omitempty"`
	OriginalID         string                   `json:"originalExecutionId,omitempty"`
	FromStepID         string                   `json:"fromStepId,omitempty"`
	StartTime          time.Time                `json:"startTime"`
	EndTime            *time.Time               `json:"endTime,omitempty"`
	UpdatedAt          time.Time                `json:"updatedAt"`
	PausedAt           *time.Time               `json:"pausedAt,omitempty"`
	CancelledBy        string                   `json:"cancelledBy,omitempty"`
	CancellationReason string                   `json:"cancellationReason,omitempty"`
	Output             any                      `json:"output,omitempty"`
	Error              string                   `json:"error,omitempty"`
	Seq                int64                    `json:"seq"`
	LogCount           int                      `json:"logCount"`
	EvidenceCount      int                      `json:"evidenceCount"`

	// Steps holds the steps that have left pending (absent means pending).
	Steps map[string]*stepState `json:"-"`

	// ctxData caches Context as JSON-like data (see contextData).
	ctxData any
	// rowsSeq is the seq of the stored rows (the execution's Data and its
	// step rows): transitions with DeferRows append events after it.
	// dirty lists the instances whose step rows are older than the state.
	rowsSeq int64
	dirty   []stepKey
}

// stepState is the state of one step, or of one loop iteration
// (Iteration >= 1, kept in the loop step's Loop.Iterations).
type stepState struct {
	StepID        string             `json:"stepId"`
	Iteration     int                `json:"iteration,omitempty"`
	Status        runbook.StepStatus `json:"status"`
	Attempt       int                `json:"attempt"`
	StartTime     *time.Time         `json:"startTime,omitempty"`
	EndTime       *time.Time         `json:"endTime,omitempty"`
	Output        any                `json:"output,omitempty"`
	Error         *runbook.StepError `json:"error,omitempty"`
	SkipReason    string             `json:"skipReason,omitempty"`
	NextAttemptAt *time.Time         `json:"nextAttemptAt,omitempty"`
	// RetryDue is set when the retry timer fired; the attempt starts as
	// soon as the execution may start steps.
	RetryDue  bool               `json:"retryDue,omitempty"`
	Wait      *runbook.WaitInfo  `json:"wait,omitempty"`
	WaitSince *time.Time         `json:"waitSince,omitempty"`
	Approvals []runbook.Approval `json:"approvals,omitempty"`
	NotTaken  []string           `json:"notTaken,omitempty"`
	ChildID   string             `json:"childExecutionId,omitempty"`
	Reused    bool               `json:"reused,omitempty"`
	Loop      *loopState         `json:"loop,omitempty"`
}

// loopState is the progress of a loop step. Iterations are stored as their
// own step rows; Items are fixed when the loop starts.
type loopState struct {
	Items         []any        `json:"items,omitempty"`
	While         bool         `json:"while,omitempty"`
	Concurrency   int          `json:"concurrency"`
	MaxIterations int          `json:"maxIterations"`
	Iterations    []*stepState `json:"-"`
}

// stepKey names a step or a loop iteration.
type stepKey struct {
	step string
	iter int
}

// markDirty records that the step row of instance k is older than the
// state.
func (s *execState) markDirty(k stepKey) {
	if !slices.Contains(s.dirty, k) {
		s.dirty = append(s.dirty, k)
	}
}

// instance returns the state of a step or of one of its loop iterations.
func (s *execState) instance(k stepKey) *stepState {
	st := s.Steps[k.step]
	if st == nil || k.iter == 0 {
		return st
	}
	if st.Loop == nil || k.iter > len(st.Loop.Iterations) {
		return nil
	}
	return st.Loop.Iterations[k.iter-1]
}

// parked reports whether the step waits for a person or an event.
func (ss *stepState) parked() bool {
	return ss.Status == runbook.StepAwaitingApproval || ss.Status == runbook.StepAwaitingEvent
}

// results returns the outputs of the iterations in order.
func (l *loopState) results() []any {
	out := make([]any, len(l.Iterations))
	for i, it := range l.Iterations {
		out[i] = it.Output
	}
	return out
}
