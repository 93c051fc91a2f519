package runbook

import (
	"encoding/json"
	"time"
)

// StepType names what a step does. The strings are those of the previous
// engine's definition format.
type StepType string

// Step types.
const (
	StepCallService  StepType = "call-service"
	StepConditional  StepType = "conditional"
	StepLoop         StepType = "loop"
	StepApproval     StepType = "human-approval"
	StepWaitForEvent StepType = "wait-for-event"
	StepSubRunbook   StepType = "runbook"
)

// StepTypes lists every step type the engine knows, in documentation order.
func StepTypes() []StepType {
	return []StepType{StepCallService, StepConditional, StepLoop, StepApproval, StepWaitForEvent, StepSubRunbook}
}

// Runbook is a stored, immutable definition: a DAG of steps identified by
// (ID, Version).
type Runbook struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	Version            string          `json:"version"`
	Description        string          `json:"description,omitempty"`
	Steps              []*Step         `json:"steps"`
	DefaultRetryPolicy *RetryPolicy    `json:"defaultRetryPolicy,omitempty"`
	GlobalTimeoutMs    int64           `json:"globalTimeoutMs,omitempty"`
	MaxConcurrentSteps int             `json:"maxConcurrentSteps,omitempty"`
	MaxDepth           int             `json:"maxDepth,omitempty"`
	InputSchema        json.RawMessage `json:"inputSchema,omitempty"`
	Metadata           map[string]any  `json:"metadata,omitempty"`
	CreatedAt          *time.Time      `json:"createdAt,omitempty"`
	UpdatedAt          *time.Time      `json:"updatedAt,omitempty"`
	CreatedBy          string          `json:"createdBy,omitempty"`
}

// Step returns the step with the given id, or nil.
func (r *Runbook) Step(id string) *Step {
	for _, s := range r.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Trigger says when a step with several dependencies runs.
type Trigger string

// Triggers.
const (
	// TriggerAll runs the step when every dependency completed; a skipped
	// dependency skips the step. It is the default.
	TriggerAll Trigger = "all"
	// TriggerAny runs the step once every dependency is completed or
	// skipped and at least one completed: the join after a conditional.
	TriggerAny Trigger = "any"
)

// Step is one node of a runbook's DAG.
type Step struct {
	ID             string          `json:"id"`
	Name           string          `json:"name,omitempty"`
	Description    string          `json:"description,omitempty"`
	Type           StepType        `json:"type"`
	Config         map[string]any  `json:"config,omitempty"`
	DependsOn      []string        `json:"dependsOn,omitempty"`
	Trigger        Trigger         `json:"trigger,omitempty"`
	RetryPolicy    *RetryPolicy    `json:"retryPolicy,omitempty"`
	TimeoutMs      int64           `json:"timeoutMs,omitempty"`
	Condition      *Condition      `json:"condition,omitempty"`
	ApprovalConfig *ApprovalConfig `json:"approvalConfig,omitempty"`
	LoopConfig     *LoopConfig     `json:"loopConfig,omitempty"`
	InputSchema    json.RawMessage `json:"inputSchema,omitempty"`
	OutputSchema   json.RawMessage `json:"outputSchema,omitempty"`
}

// RetryPolicy says how often and how fast a failed step attempt is retried.
// MaxAttempts counts every attempt, the first included.
type RetryPolicy struct {
	MaxAttempts       int      `json:"maxAttempts"`
	InitialDelayMs    int64    `json:"initialDelayMs"`
	MaxDelayMs        int64    `json:"maxDelayMs"`
	BackoffMultiplier float64  `json:"backoffMultiplier"`
	Jitter            float64  `json:"jitter,omitempty"`
	RetryableErrors   []string `json:"retryableErrors,omitempty"`
}

// TimeoutAction is what a human-approval step does when its deadline passes.
type TimeoutAction string

// Timeout actions.
const (
	TimeoutFail    TimeoutAction = "fail"
	TimeoutApprove TimeoutAction = "approve"
	TimeoutReject  TimeoutAction = "reject"
)

// ApprovalConfig configures a human-approval step.
type ApprovalConfig struct {
	Approvers     []string      `json:"approvers"`
	MinApprovals  int           `json:"minApprovals"`
	TimeoutMs     int64         `json:"timeoutMs,omitempty"`
	TimeoutAction TimeoutAction `json:"timeoutAction,omitempty"`
	Prompt        string        `json:"prompt,omitempty"`
}

// LoopConfig configures a loop step. IterateOver is a field path to an array;
// without it the body runs while ContinueWhile holds.
type LoopConfig struct {
	MaxIterations    int        `json:"maxIterations"`
	IterateOver      string     `json:"iterateOver,omitempty"`
	ContinueWhile    *Condition `json:"continueWhile,omitempty"`
	Concurrency      int        `json:"concurrency,omitempty"`
	CurrentIteration *int       `json:"currentIteration,omitempty"`
}

// MaxLoopIterations is the hard limit on a loop's iterations.
const MaxLoopIterations = 1000

// Operator compares a field with a value in a Condition.
type Operator string

// Operators.
const (
	OpEq       Operator = "eq"
	OpNe       Operator = "ne"
	OpGt       Operator = "gt"
	OpLt       Operator = "lt"
	OpGte      Operator = "gte"
	OpLte      Operator = "lte"
	OpIn       Operator = "in"
	OpContains Operator = "contains"
	OpExists   Operator = "exists"
)

// Operators lists every condition operator.
func Operators() []Operator {
	return []Operator{OpEq, OpNe, OpGt, OpLt, OpGte, OpLte, OpIn, OpContains, OpExists}
}

// Condition compares the value at a field path with a literal value, or
// evaluates a CEL expression when Expression is set.
type Condition struct {
	Field      string   `json:"field,omitempty"`
	Operator   Operator `json:"operator,omitempty"`
	Value      any      `json:"value,omitempty"`
	Expression string   `json:"expression,omitempty"`
}

// CallServiceConfig is the config of a call-service step.
type CallServiceConfig struct {
	Protocol string            `json:"protocol,omitempty"`
	URL      string            `json:"url"`
	Method   string            `json:"method"`
	Headers  map[string]string `json:"headers,omitempty"`
	// Query parameters are added to the URL, encoded.
	Query            map[string]string `json:"query,omitempty"`
	Body             any               `json:"body,omitempty"`
	IdempotencyKey   string            `json:"idempotencyKey,omitempty"`
	TimeoutMs        int64             `json:"timeoutMs,omitempty"`
	MaxResponseBytes int64             `json:"maxResponseBytes,omitempty"`
	Evidence         *EvidenceConfig   `json:"evidence,omitempty"`
}

// EvidenceConfig asks a step to record what it fetched as an evidence item.
type EvidenceConfig struct {
	Type       string  `json:"type"`
	SourceRef  string  `json:"sourceRef,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
}

// ConditionalConfig is the config of a conditional step.
type ConditionalConfig struct {
	Condition   *Condition `json:"condition,omitempty"`
	Expression  string     `json:"expression,omitempty"`
	TrueBranch  string     `json:"trueBranch,omitempty"`
	FalseBranch string     `json:"falseBranch,omitempty"`
}

// LoopStepConfig is the config of a loop step: the body to run, inline or by
// reference to another step.
type LoopStepConfig struct {
	Body       *Step  `json:"body,omitempty"`
	BodyStepID string `json:"bodyStepId,omitempty"`
}

// WaitForEventConfig is the config of a wait-for-event step.
type WaitForEventConfig struct {
	EventType      string `json:"eventType"`
	CorrelationID  string `json:"correlationId,omitempty"`
	TimeoutMs      int64  `json:"timeoutMs,omitempty"`
	PollIntervalMs int64  `json:"pollIntervalMs,omitempty"`
}

// SubRunbookConfig is the config of a runbook (sub-runbook) step.
type SubRunbookConfig struct {
	RunbookID      string `json:"runbookId"`
	RunbookVersion string `json:"runbookVersion,omitempty"`
	Input          any    `json:"input,omitempty"`
}

// Defaults applied when a definition or the engine configuration is silent.
const (
	DefaultMaxConcurrentSteps = 5
	DefaultMaxDepth           = 5
	DefaultEventTimeoutMs     = 60_000
	DefaultStepTimeoutMs      = 30_000
)

// DefaultRetryPolicy returns the engine's retry policy for when neither the
// step nor the runbook names one.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, InitialDelayMs: 1000, MaxDelayMs: 30_000, BackoffMultiplier: 2}
}
