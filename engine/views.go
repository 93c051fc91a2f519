package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/runbookhq/runbook"
)

// snapshot reads an execution's state and plan from the store.
func (e *Engine) snapshot(ctx context.Context, id string) (*execState, *plan, error) {
	st, err := e.readState(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	p, err := e.runbooks.get(ctx, st.RunbookID, st.RunbookVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("load runbook of execution %s: %w", id, err)
	}
	return st, p, nil
}

// GetExecution returns the read model of an execution; ENOTFOUND if absent.
func (e *Engine) GetExecution(ctx context.Context, id string) (*runbook.Execution, error) {
	st, p, err := e.snapshot(ctx, id)
	if err != nil {
		return nil, err
	}
	return executionView(p, st), nil
}

func executionView(p *plan, s *execState) *runbook.Execution {
	x := &runbook.Execution{
		ID:                  s.ID,
		RunbookID:           s.RunbookID,
		RunbookVersion:      s.RunbookVersion,
		Status:              s.Status,
		Context:             s.Context,
		Input:               s.Input,
		Output:              s.Output,
		StepResults:         map[string]*runbook.StepResult{},
		StartTime:           s.StartTime,
		EndTime:             s.EndTime,
		Error:               s.Error,
		IsReplay:            s.OriginalID != "",
		OriginalExecutionID: s.OriginalID,
		ParentExecutionID:   s.ParentID,
		ParentStepID:        s.ParentStepID,
		Depth:               s.Depth,
		PausedAt:            s.PausedAt,
		CancelledBy:         s.CancelledBy,
		CancellationReason:  s.CancellationReason,
		IdempotencyKey:      s.IdempotencyKey,
		LogCount:            s.LogCount,
		EvidenceCount:       s.EvidenceCount,
		Seq:                 s.Seq,
	}
	if s.EndTime != nil {
		d := s.EndTime.Sub(s.StartTime).Milliseconds()
		x.DurationMs = &d
	}
	for _, def := range p.rb.Steps {
		id := def.ID
		if loop, isBody := p.bodyOf[id]; isBody {
			// A body step has no life of its own: it shows its loop.
			x.StepResults[id] = stepView(p, s, id, s.Steps[loop])
			continue
		}
		x.StepResults[id] = stepView(p, s, id, s.Steps[id])
	}
	return x
}

// stepView returns the read model of a step (or iteration) state; nil
// state means pending.
func stepView(p *plan, s *execState, stepID string, ss *stepState) *runbook.StepResult {
	r := &runbook.StepResult{StepID: stepID, Status: runbook.StepPending}
	if def := p.rb.Step(stepID); def != nil {
		r.Type = def.Type
	}
	if ss == nil {
		return r
	}
	r.Status = ss.Status
	r.Output = ss.Output
	if ss.Error != nil {
		r.Error = ss.Error.Message
	}
	r.StartTime, r.EndTime = ss.StartTime, ss.EndTime
	if ss.StartTime != nil && ss.EndTime != nil {
		d := ss.EndTime.Sub(*ss.StartTime).Milliseconds()
		r.DurationMs = &d
	}
	r.AttemptNumber = ss.Attempt
	r.Skipped = ss.Status == runbook.StepSkipped
	r.SkipReason = ss.SkipReason
	if r.Type == runbook.StepConditional && ss.Status == runbook.StepCompleted {
		// As in the previous engine, a conditional whose outcome names no
		// branch is flagged skipped (its status stays completed).
		if out, ok := ss.Output.(map[string]any); ok {
			if branch, _ := out["branch"].(string); branch == "" {
				r.Skipped = true
				r.SkipReason = fmt.Sprintf("no branch for outcome %v", out["result"])
			}
		}
	}
	r.Approvals = ss.Approvals
	r.Wait = ss.Wait
	r.ChildID = ss.ChildID
	r.NextAttemptAt = ss.NextAttemptAt
	r.Reused = ss.Reused
	if ss.Loop != nil {
		for _, it := range ss.Loop.Iterations {
			ir := &runbook.IterationResult{Index: it.Iteration - 1, Status: it.Status, Output: it.Output, AttemptNumber: it.Attempt}
			if it.Error != nil {
				ir.Error = it.Error.Message
			}
			r.Iterations = append(r.Iterations, ir)
		}
	}
	return r
}

// ListExecutions returns executions newest first and the cursor of the
// next page ("" on the last page).
func (e *Engine) ListExecutions(ctx context.Context, f runbook.ExecutionFilter) ([]runbook.ExecutionSummary, string, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, "", runbook.Errorf(runbook.EINVALID, "unknown status %q", f.Status)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	want := f.Limit
	f.Limit = want + 1
	recs, err := e.store.ListExecutions(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(recs) > want {
		recs = recs[:want]
		next = recs[want-1].ID
	}
	out := make([]runbook.ExecutionSummary, len(recs))
	for i, r := range recs {
		out[i] = runbook.ExecutionSummary{ID: r.ID, RunbookID: r.RunbookID, RunbookVersion: r.RunbookVersion,
			Status: r.Status, TenantID: r.TenantID, StartTime: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, next, nil
}

// History returns the execution's events after afterSeq (at most limit; 0
// for all): the audit trail.
func (e *Engine) History(ctx context.Context, id string, afterSeq int64, limit int) ([]runbook.Event, error) {
	return e.store.ListHistory(ctx, id, afterSeq, limit)
}

// Logs renders the execution's history as log entries: one per event, plus
// the lines executors logged during attempts.
func (e *Engine) Logs(ctx context.Context, id string, f runbook.LogFilter) ([]runbook.LogEntry, int, error) {
	if f.Level != "" && logRank(f.Level) < 0 {
		return nil, 0, runbook.Errorf(runbook.EINVALID, "unknown log level %q", f.Level)
	}
	events, err := e.store.ListHistory(ctx, id, 0, 0)
	if err != nil {
		return nil, 0, err
	}
	var all []runbook.LogEntry
	for i := range events {
		all = append(all, logEntries(id, &events[i])...)
	}
	var out []runbook.LogEntry
	for _, l := range all {
		if f.StepID != "" && l.StepID != f.StepID {
			continue
		}
		if f.Level != "" && logRank(l.Level) < logRank(f.Level) {
			continue
		}
		if !f.StartTime.IsZero() && l.Timestamp.Before(f.StartTime) {
			continue
		}
		if !f.EndTime.IsZero() && l.Timestamp.After(f.EndTime) {
			continue
		}
		out = append(out, l)
	}
	total := len(out)
	if f.Offset > 0 {
		if f.Offset >= len(out) {
			out = nil
		} else {
			out = out[f.Offset:]
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, total, nil
}

func logRank(l runbook.LogLevel) int {
	switch l {
	case runbook.LogDebug:
		return 0
	case runbook.LogInfo:
		return 1
	case runbook.LogWarn:
		return 2
	case runbook.LogError:
		return 3
	}
	return -1
}

// logEntries renders one history event as log entries.
func logEntries(executionID string, ev *runbook.Event) []runbook.LogEntry {
	level := runbook.LogInfo
	switch ev.Type {
	case runbook.EventStepFailed, runbook.EventExecutionFailed:
		level = runbook.LogError
	case runbook.EventStepRetryScheduled, runbook.EventStepCancelled, runbook.EventExecutionCancelled, runbook.EventTimerFired:
		level = runbook.LogWarn
	}
	meta := map[string]any{"event": string(ev.Type), "seq": ev.Seq}
	if ev.Attempt > 0 {
		meta["attempt"] = ev.Attempt
	}
	if ev.Iteration > 0 {
		meta["iteration"] = ev.Iteration
	}
	if ev.Actor != "" {
		meta["actor"] = ev.Actor
	}
	out := []runbook.LogEntry{{
		ID: fmt.Sprintf("%d", ev.Seq), Timestamp: ev.Time, Level: level, StepID: ev.StepID,
		ExecutionID: executionID, Message: DescribeEvent(ev), Metadata: meta,
	}}
	for i, l := range ev.Logs {
		out = append(out, runbook.LogEntry{
			ID: fmt.Sprintf("%d.%d", ev.Seq, i+1), Timestamp: l.Time, Level: l.Level, StepID: ev.StepID,
			ExecutionID: executionID, Message: l.Message, Metadata: l.Metadata,
		})
	}
	return out
}

// DescribeEvent returns the human sentence for an event, as used in logs
// and by the CLI.
func DescribeEvent(ev *runbook.Event) string {
	step := ev.StepID
	if ev.Iteration > 0 {
		step = fmt.Sprintf("%s[%d]", ev.StepID, ev.Iteration-1)
	}
	errMsg := ""
	if ev.Error != nil {
		errMsg = ev.Error.Message
	}
	switch ev.Type {
	case runbook.EventExecutionStarted:
		return fmt.Sprintf("execution started: runbook %s version %s by %s", ev.Start.RunbookID, ev.Start.RunbookVersion, ev.Actor)
	case runbook.EventExecutionPaused:
		return withReason("execution paused by "+ev.Actor, ev.Reason)
	case runbook.EventExecutionResumed:
		return withReason("execution resumed by "+ev.Actor, ev.Reason)
	case runbook.EventExecutionCancelled:
		return withReason("execution cancelled by "+ev.Actor, ev.Reason)
	case runbook.EventExecutionCompleted:
		return "execution completed"
	case runbook.EventExecutionFailed:
		return "execution failed: " + errMsg
	case runbook.EventStepStarted:
		return fmt.Sprintf("step %s started (attempt %d)", step, ev.Attempt)
	case runbook.EventStepCompleted:
		if ev.Reused {
			return fmt.Sprintf("step %s completed (%s)", step, ev.Reason)
		}
		return fmt.Sprintf("step %s completed (attempt %d)", step, ev.Attempt)
	case runbook.EventStepFailed:
		return fmt.Sprintf("step %s failed (attempt %d): %s", step, ev.Attempt, errMsg)
	case runbook.EventStepRetryScheduled:
		return fmt.Sprintf("step %s attempt %d failed: %s; retrying at %s", step, ev.Attempt, errMsg, ev.DueAt.Format(time.RFC3339Nano))
	case runbook.EventStepSkipped:
		return fmt.Sprintf("step %s skipped: %s", step, ev.Reason)
	case runbook.EventStepCancelled:
		return fmt.Sprintf("step %s cancelled: %s", step, ev.Reason)
	case runbook.EventStepRetried:
		return withReason(fmt.Sprintf("step %s retried by %s", step, ev.Actor), ev.Reason)
	case runbook.EventStepReset:
		return fmt.Sprintf("step %s reset: %s", step, ev.Reason)
	case runbook.EventLoopStarted:
		if ev.While {
			return fmt.Sprintf("loop %s started (while a condition holds, at most %d iterations)", step, ev.MaxIterations)
		}
		return fmt.Sprintf("loop %s started over %d items, %d at a time", step, len(ev.Items), ev.Concurrency)
	case runbook.EventApprovalRequested:
		return fmt.Sprintf("step %s awaits approval from %v (%d needed)", step, ev.Wait.Approvers, ev.Wait.MinApprovals)
	case runbook.EventApprovalRecorded:
		return withReason(fmt.Sprintf("step %s: %s %s", step, ev.Approval.ApproverID, ev.Approval.Decision), ev.Approval.Comments)
	case runbook.EventEventAwaited:
		return fmt.Sprintf("step %s awaits event %q (correlation %q)", step, ev.Wait.EventType, ev.Wait.CorrelationID)
	case runbook.EventEventReceived:
		return fmt.Sprintf("step %s received event %s", step, ev.EventID)
	case runbook.EventChildStarted:
		return fmt.Sprintf("step %s started child execution %s", step, ev.ChildID)
	case runbook.EventChildFinished:
		return fmt.Sprintf("step %s: child execution %s %s", step, ev.ChildID, ev.ChildStatus)
	case runbook.EventTimerFired:
		if ev.StepID == "" {
			return fmt.Sprintf("timer %s fired", ev.Timer)
		}
		return fmt.Sprintf("step %s: timer %s fired", step, ev.Timer)
	}
	return string(ev.Type)
}

func withReason(s, reason string) string {
	if reason == "" {
		return s
	}
	return s + ": " + reason
}

// Evidence returns the evidence items the execution's steps recorded.
func (e *Engine) Evidence(ctx context.Context, id string) ([]runbook.Evidence, error) {
	events, err := e.store.ListHistory(ctx, id, 0, 0)
	if err != nil {
		return nil, err
	}
	out := []runbook.Evidence{}
	for _, ev := range events {
		out = append(out, ev.Evidence...)
	}
	return out, nil
}

// PendingApprovals lists the approval steps waiting for decisions, oldest
// first, optionally for one approver or tenant. Approvers who already
// decided do not see the step in their inbox.
func (e *Engine) PendingApprovals(ctx context.Context, approver, tenant string, limit int) ([]runbook.PendingApproval, error) {
	waits, err := e.store.ListWaits(ctx, runbook.WaitFilter{Kind: runbook.WaitApproval, Approver: approver, TenantID: tenant})
	if err != nil {
		return nil, err
	}
	out := []runbook.PendingApproval{}
	for _, w := range waits {
		st, _, err := e.snapshot(ctx, w.ExecutionID)
		if err != nil {
			if runbook.ErrorCode(err) == runbook.ENOTFOUND {
				continue
			}
			return nil, err
		}
		ss := st.instance(stepKey{w.StepID, w.Iteration})
		if ss == nil || ss.Status != runbook.StepAwaitingApproval || ss.Wait == nil {
			continue
		}
		decided := false
		for _, a := range ss.Approvals {
			if a.ApproverID == approver {
				decided = true
			}
		}
		if approver != "" && decided {
			continue
		}
		pa := runbook.PendingApproval{ExecutionID: w.ExecutionID, RunbookID: st.RunbookID, StepID: w.StepID, Iteration: w.Iteration,
			Prompt: ss.Wait.Prompt, Approvers: ss.Wait.Approvers, MinApprovals: ss.Wait.MinApprovals,
			Decisions: append([]runbook.Approval{}, ss.Approvals...), RequestedAt: w.CreatedAt,
			TimeoutAction: ss.Wait.TimeoutAction, TenantID: w.TenantID}
		if !ss.Wait.Deadline.IsZero() {
			d := ss.Wait.Deadline
			pa.Deadline = &d
		}
		out = append(out, pa)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].RequestedAt.Before(out[j].RequestedAt) })
	return out, nil
}
