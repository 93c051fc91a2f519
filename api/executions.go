package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
)

// Limits of the list endpoints.
const (
	defaultExecutionsLimit = 50
	maxExecutionsLimit     = 1000
	defaultLogsLimit       = 1000
	maxLogsLimit           = 10000
	defaultHistoryLimit    = 500
	maxHistoryLimit        = 5000
)

// startRequest is the body of POST /api/v1/executions.
type startRequest struct {
	RunbookID      string                    `json:"runbookId"`
	RunbookVersion string                    `json:"runbookVersion"`
	Input          any                       `json:"input"`
	Context        *runbook.ExecutionContext `json:"context"`
	IdempotencyKey string                    `json:"idempotencyKey"`
}

type startResponse struct {
	envelope
	ExecutionID string `json:"executionId"`
	Status      string `json:"status"`
}

// startExecution starts an execution: 201 with status "started", or 200
// with the first execution and its current status when the idempotency key
// was used before.
func (s *Server) startExecution(w http.ResponseWriter, r *http.Request) error {
	var req startRequest
	if err := s.decodeJSON(r, &req, true); err != nil {
		return err
	}
	if strings.TrimSpace(req.RunbookID) == "" {
		return invalidField("runbookId", "is required")
	}
	key := req.IdempotencyKey
	if h := strings.TrimSpace(r.Header.Get(headerIdempotencyKey)); h != "" {
		if key != "" && key != h {
			return invalidField("idempotencyKey", "differs from the Idempotency-Key header; send one or the other")
		}
		key = h
	}
	ctx := r.Context()
	id, created, err := s.eng.StartExecution(ctx, engine.StartRequest{RunbookID: req.RunbookID, RunbookVersion: req.RunbookVersion,
		Input: req.Input, Context: req.Context, IdempotencyKey: key, Actor: userOf(r, "")})
	if err != nil {
		return err
	}
	if created {
		return s.reply(w, r, http.StatusCreated, startResponse{envelope: v1(), ExecutionID: id, Status: "started"})
	}
	x, err := s.eng.GetExecution(ctx, id)
	if err != nil {
		return err
	}
	return s.reply(w, r, http.StatusOK, startResponse{envelope: v1(), ExecutionID: id, Status: string(x.Status)})
}

// invalidField is the 400 of one bad field of a request body.
func invalidField(field, msg string) error {
	return &runbook.Error{Code: runbook.EINVALID, Message: field + " " + msg,
		Details: []runbook.FieldError{{Field: field, Message: msg}}}
}

type executionResponse struct {
	envelope
	Execution *executionView `json:"execution"`
}

func (s *Server) getExecution(w http.ResponseWriter, r *http.Request) error {
	x, err := s.eng.GetExecution(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.reply(w, r, http.StatusOK, executionResponse{envelope: v1(), Execution: viewExecution(x)})
}

type executionListResponse struct {
	envelope
	Count      int                    `json:"count"`
	Executions []executionSummaryView `json:"executions"`
	// NextCursor is null on the last page.
	NextCursor *string `json:"nextCursor"`
}

// listExecutions lists executions newest first, a page at a time.
func (s *Server) listExecutions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := runbook.ExecutionFilter{RunbookID: q.Get("runbookId"), TenantID: q.Get("tenantId"), Cursor: q.Get("cursor"),
		Status: runbook.ExecutionStatus(q.Get("status"))}
	if f.Status != "" && !f.Status.Valid() {
		return invalidParam("status", "%q is not an execution status (pending, running, paused, awaiting_approval, awaiting_event, completed, failed, cancelled)", f.Status)
	}
	limit, err := intParam(q, "limit", defaultExecutionsLimit, 1, maxExecutionsLimit)
	if err != nil {
		return err
	}
	f.Limit = limit
	list, next, err := s.eng.ListExecutions(r.Context(), f)
	if err != nil {
		return err
	}
	resp := executionListResponse{envelope: v1(), Count: len(list), Executions: viewSummaries(list)}
	if next != "" {
		resp.NextCursor = &next
	}
	return s.reply(w, r, http.StatusOK, resp)
}

// operationRequest is the body of the lifecycle endpoints (pause, resume,
// cancel, retry).
type operationRequest struct {
	UserID string `json:"userId"`
	Reason string `json:"reason"`
}

type operationResponse struct {
	envelope
	ExecutionID string `json:"executionId"`
	StepID      string `json:"stepId,omitempty"`
	Status      string `json:"status"`
}

// lifecycle runs one lifecycle operation (op is an engine method) and
// answers with status.
func (s *Server) lifecycle(w http.ResponseWriter, r *http.Request, status string,
	op func(ctx context.Context, id string, req engine.OperationRequest) error) error {
	var req operationRequest
	if err := s.decodeJSON(r, &req, false); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := op(r.Context(), id, engine.OperationRequest{Actor: userOf(r, req.UserID), Reason: req.Reason}); err != nil {
		return err
	}
	return s.reply(w, r, http.StatusOK, operationResponse{envelope: v1(), ExecutionID: id, Status: status})
}

func (s *Server) pauseExecution(w http.ResponseWriter, r *http.Request) error {
	return s.lifecycle(w, r, "paused", s.eng.Pause)
}

func (s *Server) resumeExecution(w http.ResponseWriter, r *http.Request) error {
	return s.lifecycle(w, r, "resumed", s.eng.Resume)
}

func (s *Server) cancelExecution(w http.ResponseWriter, r *http.Request) error {
	return s.lifecycle(w, r, "cancelled", s.eng.Cancel)
}

// retryStep runs a failed step again and lets the execution continue.
func (s *Server) retryStep(w http.ResponseWriter, r *http.Request) error {
	var req operationRequest
	if err := s.decodeJSON(r, &req, false); err != nil {
		return err
	}
	id, step := r.PathValue("id"), r.PathValue("stepId")
	if err := s.eng.RetryStep(r.Context(), id, step, engine.OperationRequest{Actor: userOf(r, req.UserID), Reason: req.Reason}); err != nil {
		return err
	}
	return s.reply(w, r, http.StatusOK, operationResponse{envelope: v1(), ExecutionID: id, StepID: step, Status: "retried"})
}

// replayRequest is the body of POST /api/v1/executions/{id}/replay.
type replayRequest struct {
	Context    *runbook.ExecutionContext `json:"context"`
	FromStepID string                    `json:"fromStepId"`
	UserID     string                    `json:"userId"`
}

type replayResponse struct {
	envelope
	ExecutionID         string `json:"executionId"`
	OriginalExecutionID string `json:"originalExecutionId"`
	Status              string `json:"status"`
}

// replayExecution starts a new execution of the original's runbook version
// and input.
func (s *Server) replayExecution(w http.ResponseWriter, r *http.Request) error {
	var req replayRequest
	if err := s.decodeJSON(r, &req, false); err != nil {
		return err
	}
	orig := r.PathValue("id")
	id, err := s.eng.Replay(r.Context(), orig, engine.ReplayRequest{FromStepID: req.FromStepID, Context: req.Context,
		Actor: userOf(r, req.UserID)})
	if err != nil {
		return err
	}
	return s.reply(w, r, http.StatusCreated, replayResponse{envelope: v1(), ExecutionID: id, OriginalExecutionID: orig, Status: "replaying"})
}

type logsResponse struct {
	envelope
	ExecutionID string         `json:"executionId"`
	Count       int            `json:"count"`
	Total       int            `json:"total"`
	Logs        []logEntryView `json:"logs"`
}

// executionLogs returns the execution's log: one entry per history event
// and the lines executors logged, filtered and paged.
func (s *Server) executionLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := runbook.LogFilter{StepID: q.Get("stepId"), Level: runbook.LogLevel(q.Get("level"))}
	switch f.Level {
	case "", runbook.LogDebug, runbook.LogInfo, runbook.LogWarn, runbook.LogError:
	default:
		return invalidParam("level", "%q is not a log level (debug, info, warn, error)", f.Level)
	}
	var err error
	if f.StartTime, err = timeParam(q, "startTime"); err != nil {
		return err
	}
	if f.EndTime, err = timeParam(q, "endTime"); err != nil {
		return err
	}
	if f.Limit, err = intParam(q, "limit", defaultLogsLimit, 1, maxLogsLimit); err != nil {
		return err
	}
	if f.Offset, err = intParam(q, "offset", 0, 0, int(^uint32(0)>>1)); err != nil {
		return err
	}
	id := r.PathValue("id")
	logs, total, err := s.eng.Logs(r.Context(), id, f)
	if err != nil {
		return err
	}
	return s.reply(w, r, http.StatusOK, logsResponse{envelope: v1(), ExecutionID: id, Count: len(logs), Total: total, Logs: viewLogs(logs)})
}

type evidenceResponse struct {
	envelope
	ExecutionID string         `json:"executionId"`
	Count       int            `json:"count"`
	Evidence    []evidenceView `json:"evidence"`
}

func (s *Server) executionEvidence(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	items, err := s.eng.Evidence(r.Context(), id)
	if err != nil {
		return err
	}
	view := viewEvidence(items)
	if view == nil {
		view = []evidenceView{}
	}
	return s.reply(w, r, http.StatusOK, evidenceResponse{envelope: v1(), ExecutionID: id, Count: len(view), Evidence: view})
}

type historyResponse struct {
	envelope
	ExecutionID string       `json:"executionId"`
	Count       int          `json:"count"`
	Events      []*eventView `json:"events"`
	// NextAfterSeq is the afterSeq of the next page; null on the last.
	NextAfterSeq *int64 `json:"nextAfterSeq"`
}

// executionHistory returns the execution's history events (the audit
// trail) after afterSeq, a page at a time.
func (s *Server) executionHistory(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	after, err := seqParam("afterSeq", q.Get("afterSeq"))
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", defaultHistoryLimit, 1, maxHistoryLimit)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	events, err := s.eng.History(r.Context(), id, after, limit+1)
	if err != nil {
		return err
	}
	resp := historyResponse{envelope: v1(), ExecutionID: id}
	if len(events) > limit {
		events = events[:limit]
		next := events[limit-1].Seq
		resp.NextAfterSeq = &next
	}
	resp.Count, resp.Events = len(events), viewEvents(events)
	return s.reply(w, r, http.StatusOK, resp)
}
