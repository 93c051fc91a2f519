package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/runbookhq/runbook"
)

// StartRequest asks for a new execution.
type StartRequest struct {
	RunbookID string `json:"runbookId"`
	// RunbookVersion is empty for the latest version.
	RunbookVersion string `json:"runbookVersion,omitempty"`
	Input          any    `json:"input,omitempty"`
	// Context defaults on the server as in the previous engine.
	Context *runbook.ExecutionContext `json:"context,omitempty"`
	// IdempotencyKey: a second start with the same key (in the same
	// tenant) returns the first execution.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
}

// StartResult is the answer to StartExecution.
type StartResult struct {
	ExecutionID string `json:"executionId"`
	// Status is "started", or the current status of the execution an
	// idempotency key found.
	Status string `json:"status"`
	// Created is false when an idempotency key found an earlier execution.
	Created bool `json:"created"`
}

// StartExecution starts an execution of a stored runbook. Input that
// violates the runbook's inputSchema is a runbook.EINVALID error with
// Details.
func (c *Client) StartExecution(ctx context.Context, req StartRequest) (*StartResult, error) {
	var out StartResult
	status, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/executions", body: req}, &out)
	if err != nil {
		return nil, err
	}
	out.Created = status == http.StatusCreated
	return &out, nil
}

// GetExecution returns an execution with every step's result.
func (c *Client) GetExecution(ctx context.Context, id string) (*runbook.Execution, error) {
	var out struct {
		Execution *runbook.Execution `json:"execution"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/executions" + pathOf(id)}, &out); err != nil {
		return nil, err
	}
	return out.Execution, nil
}

// ListOptions selects executions; zero values select all.
type ListOptions struct {
	RunbookID string
	Status    runbook.ExecutionStatus
	TenantID  string
	// Cursor is the NextCursor of the previous page.
	Cursor string
	// Limit is the page size, 1 to 1000 (0: the server's default, 50).
	Limit int
}

// ExecutionPage is one page of an execution listing, newest first.
type ExecutionPage struct {
	Executions []runbook.ExecutionSummary `json:"executions"`
	// NextCursor selects the next page; "" on the last page.
	NextCursor string `json:"nextCursor"`
}

// ListExecutions returns a page of executions, newest first.
func (c *Client) ListExecutions(ctx context.Context, opts ListOptions) (*ExecutionPage, error) {
	q := url.Values{}
	set(q, "runbookId", opts.RunbookID)
	set(q, "status", string(opts.Status))
	set(q, "tenantId", opts.TenantID)
	set(q, "cursor", opts.Cursor)
	if opts.Limit != 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var out struct {
		Executions []runbook.ExecutionSummary `json:"executions"`
		NextCursor *string                    `json:"nextCursor"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/executions", query: q}, &out); err != nil {
		return nil, err
	}
	page := &ExecutionPage{Executions: out.Executions}
	if out.NextCursor != nil {
		page.NextCursor = *out.NextCursor
	}
	return page, nil
}

func set(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}

// OperationRequest says who asks for a lifecycle operation and why. An
// empty UserID falls back to the client's user (WithUser).
type OperationRequest struct {
	UserID string `json:"userId,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// OperationResult is the answer to a lifecycle operation.
type OperationResult struct {
	ExecutionID string `json:"executionId"`
	StepID      string `json:"stepId,omitempty"`
	// Status is "paused", "resumed", "cancelled" or "retried".
	Status string `json:"status"`
}

// Pause stops an execution from starting new steps. Pausing an execution
// that ended is a runbook.ECONFLICT error.
func (c *Client) Pause(ctx context.Context, id string, req OperationRequest) (*OperationResult, error) {
	return c.operation(ctx, pathOf(id, "pause"), req)
}

// Resume lets a paused execution continue where it stopped.
func (c *Client) Resume(ctx context.Context, id string, req OperationRequest) (*OperationResult, error) {
	return c.operation(ctx, pathOf(id, "resume"), req)
}

// Cancel ends an execution.
func (c *Client) Cancel(ctx context.Context, id string, req OperationRequest) (*OperationResult, error) {
	return c.operation(ctx, pathOf(id, "cancel"), req)
}

// RetryStep runs a failed step again and lets the execution continue
// downstream. Retrying a step that did not fail is a runbook.ECONFLICT
// error.
func (c *Client) RetryStep(ctx context.Context, id, stepID string, req OperationRequest) (*OperationResult, error) {
	return c.operation(ctx, pathOf(id, "steps", stepID, "retry"), req)
}

func (c *Client) operation(ctx context.Context, path string, req OperationRequest) (*OperationResult, error) {
	var out OperationResult
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/executions" + path, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReplayRequest asks for a new execution of an earlier one's runbook
// version and input.
type ReplayRequest struct {
	// Context replaces the original's context when set.
	Context *runbook.ExecutionContext `json:"context,omitempty"`
	// FromStepID reuses the outputs of the steps that do not depend on it.
	FromStepID string `json:"fromStepId,omitempty"`
	UserID     string `json:"userId,omitempty"`
}

// ReplayResult is the answer to Replay.
type ReplayResult struct {
	ExecutionID         string `json:"executionId"`
	OriginalExecutionID string `json:"originalExecutionId"`
	Status              string `json:"status"`
}

// Replay starts a new execution replaying id.
func (c *Client) Replay(ctx context.Context, id string, req ReplayRequest) (*ReplayResult, error) {
	var out ReplayResult
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/executions" + pathOf(id, "replay"), body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// LogOptions filters and pages an execution's log.
type LogOptions struct {
	StepID    string
	Level     runbook.LogLevel // the minimum level
	StartTime time.Time
	EndTime   time.Time
	Limit     int // 0: the server's default, 1000
	Offset    int
}

// LogPage is a page of an execution's log.
type LogPage struct {
	Logs []runbook.LogEntry `json:"logs"`
	// Total is how many entries match the filter, over all pages.
	Total int `json:"total"`
}

// Logs returns the execution's log entries.
func (c *Client) Logs(ctx context.Context, id string, opts LogOptions) (*LogPage, error) {
	q := url.Values{}
	set(q, "stepId", opts.StepID)
	set(q, "level", string(opts.Level))
	if !opts.StartTime.IsZero() {
		q.Set("startTime", opts.StartTime.UTC().Format(time.RFC3339Nano))
	}
	if !opts.EndTime.IsZero() {
		q.Set("endTime", opts.EndTime.UTC().Format(time.RFC3339Nano))
	}
	if opts.Limit != 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	if opts.Offset != 0 {
		q.Set("offset", strconv.Itoa(opts.Offset))
	}
	var out LogPage
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/executions" + pathOf(id, "logs"), query: q}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Evidence returns the evidence items the execution's steps recorded.
func (c *Client) Evidence(ctx context.Context, id string) ([]runbook.Evidence, error) {
	var out struct {
		Evidence []runbook.Evidence `json:"evidence"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/executions" + pathOf(id, "evidence")}, &out); err != nil {
		return nil, err
	}
	return out.Evidence, nil
}

// HistoryPage is a page of an execution's history.
type HistoryPage struct {
	Events []runbook.Event `json:"events"`
	// NextAfterSeq is the afterSeq of the next page; 0 on the last page.
	NextAfterSeq int64 `json:"nextAfterSeq"`
}

// History returns the execution's history events after afterSeq, at most
// limit (0: the server's default, 500).
func (c *Client) History(ctx context.Context, id string, afterSeq int64, limit int) (*HistoryPage, error) {
	q := url.Values{}
	if afterSeq > 0 {
		q.Set("afterSeq", strconv.FormatInt(afterSeq, 10))
	}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Events       []runbook.Event `json:"events"`
		NextAfterSeq *int64          `json:"nextAfterSeq"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/executions" + pathOf(id, "history"), query: q}, &out); err != nil {
		return nil, err
	}
	page := &HistoryPage{Events: out.Events}
	if out.NextAfterSeq != nil {
		page.NextAfterSeq = *out.NextAfterSeq
	}
	return page, nil
}
