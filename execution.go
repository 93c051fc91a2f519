package runbook

import "time"

// ExecutionStatus is the status of an execution. The strings are those of
// the previous engine.
type ExecutionStatus string

// Execution statuses.
const (
	ExecutionPending          ExecutionStatus = "pending"
	ExecutionRunning          ExecutionStatus = "running"
	ExecutionPaused           ExecutionStatus = "paused"
	ExecutionAwaitingApproval ExecutionStatus = "awaiting_approval"
	ExecutionAwaitingEvent    ExecutionStatus = "awaiting_event"
	ExecutionCompleted        ExecutionStatus = "completed"
	ExecutionFailed           ExecutionStatus = "failed"
	ExecutionCancelled        ExecutionStatus = "cancelled"
)

// Terminal reports whether no step of the execution will ever run again
// without an operator's action.
func (s ExecutionStatus) Terminal() bool {
	return s == ExecutionCompleted || s == ExecutionFailed || s == ExecutionCancelled
}

// Active reports whether the execution may start or finish steps: it is
// neither paused nor ended.
func (s ExecutionStatus) Active() bool {
	return s == ExecutionPending || s == ExecutionRunning || s == ExecutionAwaitingApproval || s == ExecutionAwaitingEvent
}

// Valid reports whether s is a known execution status.
func (s ExecutionStatus) Valid() bool {
	switch s {
	case ExecutionPending, ExecutionRunning, ExecutionPaused, ExecutionAwaitingApproval,
		ExecutionAwaitingEvent, ExecutionCompleted, ExecutionFailed, ExecutionCancelled:
		return true
	}
	return false
}

// StepStatus is the status of one step of an execution.
type StepStatus string

// Step statuses. A step waiting for its retry delay is "retrying".
const (
	StepPending          StepStatus = "pending"
	StepRunning          StepStatus = "running"
	StepRetrying         StepStatus = "retrying"
	StepAwaitingApproval StepStatus = "awaiting_approval"
	StepAwaitingEvent    StepStatus = "awaiting_event"
	StepCompleted        StepStatus = "completed"
	StepFailed           StepStatus = "failed"
	StepSkipped          StepStatus = "skipped"
	StepCancelled        StepStatus = "cancelled"
)

// Done reports whether the step reached an end: completed, failed, skipped
// or cancelled.
func (s StepStatus) Done() bool {
	return s == StepCompleted || s == StepFailed || s == StepSkipped || s == StepCancelled
}

// ExecutionContext is the legal and organisational frame of an execution,
// given when it starts.
type ExecutionContext struct {
	LegalBasis      LegalBasis `json:"legalBasis"`
	TimeRange       *TimeRange `json:"timeRange,omitempty"`
	GeographicScope []string   `json:"geographicScope,omitempty"`
	TenantID        string     `json:"tenantId"`
	InitiatedBy     string     `json:"initiatedBy"`
	Assumptions     []string   `json:"assumptions"`
}

// LegalBasis says under which authority an execution acts and who may act
// on it.
type LegalBasis struct {
	Authority       string   `json:"authority"`
	CaseID          string   `json:"caseId,omitempty"`
	RetentionDays   int      `json:"retentionDays,omitempty"`
	Classification  string   `json:"classification"`
	AuthorizedUsers []string `json:"authorizedUsers"`
}

// TimeRange bounds the data an execution may look at.
type TimeRange struct {
	StartTime time.Time `json:"startTime"`
	EndTime   time.Time `json:"endTime"`
}

// WithDefaults returns c with the previous engine's defaults filled in.
func (c ExecutionContext) WithDefaults(initiatedBy string) ExecutionContext {
	if c.LegalBasis.Authority == "" {
		c.LegalBasis.Authority = "UNKNOWN"
	}
	if c.LegalBasis.Classification == "" {
		c.LegalBasis.Classification = "UNCLASSIFIED"
	}
	if c.LegalBasis.AuthorizedUsers == nil {
		c.LegalBasis.AuthorizedUsers = []string{}
	}
	if c.TenantID == "" {
		c.TenantID = "default"
	}
	if c.InitiatedBy == "" {
		c.InitiatedBy = initiatedBy
	}
	if c.InitiatedBy == "" {
		c.InitiatedBy = "anonymous"
	}
	if c.Assumptions == nil {
		c.Assumptions = []string{}
	}
	return c
}

// Execution is the read model of one run of a runbook: the previous engine's
// shape, extended.
type Execution struct {
	ID                  string                 `json:"id"`
	RunbookID           string                 `json:"runbookId"`
	RunbookVersion      string                 `json:"runbookVersion"`
	Status              ExecutionStatus        `json:"status"`
	Context             ExecutionContext       `json:"context"`
	Input               any                    `json:"input"`
	Output              any                    `json:"output,omitempty"`
	StepResults         map[string]*StepResult `json:"stepResults"`
	StartTime           time.Time              `json:"startTime"`
	EndTime             *time.Time             `json:"endTime,omitempty"`
	DurationMs          *int64                 `json:"durationMs,omitempty"`
	Error               string                 `json:"error,omitempty"`
	IsReplay            bool                   `json:"isReplay"`
	OriginalExecutionID string                 `json:"originalExecutionId,omitempty"`
	ParentExecutionID   string                 `json:"parentExecutionId,omitempty"`
	ParentStepID        string                 `json:"parentStepId,omitempty"`
	Depth               int                    `json:"depth"`
	PausedAt            *time.Time             `json:"pausedAt,omitempty"`
	CancelledBy         string                 `json:"cancelledBy,omitempty"`
	CancellationReason  string                 `json:"cancellationReason,omitempty"`
	IdempotencyKey      string                 `json:"idempotencyKey,omitempty"`
	LogCount            int                    `json:"logCount"`
	EvidenceCount       int                    `json:"evidenceCount"`
	Seq                 int64                  `json:"historyLength"`
}

// StepResult is the read model of one step of an execution.
type StepResult struct {
	StepID        string             `json:"stepId"`
	Type          StepType           `json:"type"`
	Status        StepStatus         `json:"status"`
	Output        any                `json:"output,omitempty"`
	Error         string             `json:"error,omitempty"`
	StartTime     *time.Time         `json:"startTime,omitempty"`
	EndTime       *time.Time         `json:"endTime,omitempty"`
	DurationMs    *int64             `json:"durationMs,omitempty"`
	AttemptNumber int                `json:"attemptNumber"`
	Skipped       bool               `json:"skipped,omitempty"`
	SkipReason    string             `json:"skipReason,omitempty"`
	Approvals     []Approval         `json:"approvals,omitempty"`
	Wait          *WaitInfo          `json:"wait,omitempty"`
	Iterations    []*IterationResult `json:"iterations,omitempty"`
	ChildID       string             `json:"childExecutionId,omitempty"`
	NextAttemptAt *time.Time         `json:"nextAttemptAt,omitempty"`
	Reused        bool               `json:"reused,omitempty"`
}

// IterationResult is one iteration of a loop step.
type IterationResult struct {
	Index         int        `json:"index"`
	Status        StepStatus `json:"status"`
	Output        any        `json:"output,omitempty"`
	Error         string     `json:"error,omitempty"`
	AttemptNumber int        `json:"attemptNumber"`
}

// Decision is an approver's answer.
type Decision string

// Decisions.
const (
	Approved Decision = "approved"
	Rejected Decision = "rejected"
)

// Approval is one recorded approval decision.
type Approval struct {
	ApproverID string    `json:"approverId"`
	Decision   Decision  `json:"decision"`
	Timestamp  time.Time `json:"timestamp"`
	Comments   string    `json:"comments,omitempty"`
}

// WaitInfo describes what a parked step waits for.
type WaitInfo struct {
	Kind          WaitKind  `json:"kind"`
	Deadline      time.Time `json:"deadline,omitzero"`
	Approvers     []string  `json:"approvers,omitempty"`
	MinApprovals  int       `json:"minApprovals,omitempty"`
	Prompt        string    `json:"prompt,omitempty"`
	TimeoutAction string    `json:"timeoutAction,omitempty"`
	EventType     string    `json:"eventType,omitempty"`
	CorrelationID string    `json:"correlationId,omitempty"`
	TenantID      string    `json:"tenantId,omitempty"`
	ChildID       string    `json:"childExecutionId,omitempty"`
	// RunbookID and RunbookVersion name the runbook a child execution runs.
	RunbookID      string `json:"runbookId,omitempty"`
	RunbookVersion string `json:"runbookVersion,omitempty"`
	// Input is the child execution's input; it is recorded in the child's
	// history, not here.
	Input any `json:"-"`
}

// WaitKind says what a parked step waits for.
type WaitKind string

// Wait kinds.
const (
	WaitApproval WaitKind = "approval"
	WaitEvent    WaitKind = "event"
	WaitChild    WaitKind = "child"
)

// LogLevel is the severity of a log entry.
type LogLevel string

// Log levels.
const (
	LogDebug LogLevel = "debug"
	LogInfo  LogLevel = "info"
	LogWarn  LogLevel = "warn"
	LogError LogLevel = "error"
)

// LogEntry is one line of an execution's log.
type LogEntry struct {
	ID          string         `json:"id"`
	Timestamp   time.Time      `json:"timestamp"`
	Level       LogLevel       `json:"level"`
	StepID      string         `json:"stepId,omitempty"`
	ExecutionID string         `json:"executionId"`
	Message     string         `json:"message"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// Evidence is an item a step recorded as evidence, with a content hash.
type Evidence struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	SourceRef   string    `json:"sourceRef"`
	Timestamp   time.Time `json:"timestamp"`
	Confidence  float64   `json:"confidence"`
	SHA256      string    `json:"sha256,omitempty"`
	StepID      string    `json:"stepId,omitempty"`
	ExecutionID string    `json:"executionId,omitempty"`
}

// LogFilter selects log entries of one execution.
type LogFilter struct {
	StepID    string
	Level     LogLevel
	StartTime time.Time
	EndTime   time.Time
	Limit     int
	Offset    int
}

// ExecutionSummary is one row of an execution listing.
type ExecutionSummary struct {
	ID             string          `json:"id"`
	RunbookID      string          `json:"runbookId"`
	RunbookVersion string          `json:"runbookVersion"`
	Status         ExecutionStatus `json:"status"`
	TenantID       string          `json:"tenantId"`
	StartTime      time.Time       `json:"startTime"`
	UpdatedAt      time.Time       `json:"updatedAt"`
}

// PendingApproval is one entry of the approval inbox.
type PendingApproval struct {
	ExecutionID   string     `json:"executionId"`
	RunbookID     string     `json:"runbookId"`
	StepID        string     `json:"stepId"`
	Iteration     int        `json:"iteration,omitempty"`
	Prompt        string     `json:"prompt,omitempty"`
	Approvers     []string   `json:"approvers"`
	MinApprovals  int        `json:"minApprovals"`
	Decisions     []Approval `json:"decisions"`
	RequestedAt   time.Time  `json:"requestedAt"`
	Deadline      *time.Time `json:"deadline,omitempty"`
	TimeoutAction string     `json:"timeoutAction,omitempty"`
	TenantID      string     `json:"tenantId"`
}
