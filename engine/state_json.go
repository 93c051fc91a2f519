package engine

import "github.com/runbookhq/runbook/internal/jsonw"

// The documents of a transition are encoded by hand (see
// runbook.Event.AppendJSON): tests fill every field at random and compare
// with json.Marshal, so a field added to these types without being added
// here fails them.

// AppendJSON appends the execution-level state as json.Marshal would.
func (s *execState) AppendJSON(b []byte) ([]byte, error) {
	o := jsonw.NewObject(b)
	o.String("id", s.ID)
	o.String("runbookId", s.RunbookID)
	o.String("runbookVersion", s.RunbookVersion)
	o.String("status", string(s.Status))
	o.StringOmitEmpty("idempotencyKey", s.IdempotencyKey)
	o.StringOmitEmpty("parentExecutionId", s.ParentID)
	o.StringOmitEmpty("parentStepId", s.ParentStepID)
	o.IntOmitEmpty("parentIteration", int64(s.ParentIteration))
	o.Int("depth", int64(s.Depth))
	o.Int("maxDepth", int64(s.MaxDepth))
	o.Int("maxConcurrentSteps", int64(s.MaxConcurrent))
	o.TimeOmitEmpty("deadline", s.Deadline)
	o.StringOmitEmpty("originalExecutionId", s.OriginalID)
	o.StringOmitEmpty("fromStepId", s.FromStepID)
	o.Time("startTime", s.StartTime)
	o.TimeOmitEmpty("endTime", s.EndTime)
	o.Time("updatedAt", s.UpdatedAt)
	o.TimeOmitEmpty("pausedAt", s.PausedAt)
	o.StringOmitEmpty("cancelledBy", s.CancelledBy)
	o.StringOmitEmpty("cancellationReason", s.CancellationReason)
	o.AnyOmitEmpty("output", s.Output)
	o.StringOmitEmpty("error", s.Error)
	o.Int("seq", s.Seq)
	o.Int("logCount", int64(s.LogCount))
	o.Int("evidenceCount", int64(s.EvidenceCount))
	return o.End()
}

// AppendJSON appends the state of a step or iteration as json.Marshal
// would.
func (ss *stepState) AppendJSON(b []byte) ([]byte, error) {
	o := jsonw.NewObject(b)
	o.String("stepId", ss.StepID)
	o.IntOmitEmpty("iteration", int64(ss.Iteration))
	o.String("status", string(ss.Status))
	o.Int("attempt", int64(ss.Attempt))
	o.TimeOmitEmpty("startTime", ss.StartTime)
	o.TimeOmitEmpty("endTime", ss.EndTime)
	o.AnyOmitEmpty("output", ss.Output)
	if ss.Error != nil {
		o.Append("error", ss.Error.AppendJSON)
	}
	o.StringOmitEmpty("skipReason", ss.SkipReason)
	o.TimeOmitEmpty("nextAttemptAt", ss.NextAttemptAt)
	o.BoolOmitEmpty("retryDue", ss.RetryDue)
	if ss.Wait != nil {
		o.Marshal("wait", ss.Wait)
	}
	o.TimeOmitEmpty("waitSince", ss.WaitSince)
	if len(ss.Approvals) > 0 {
		o.Marshal("approvals", ss.Approvals)
	}
	o.StringsOmitEmpty("notTaken", ss.NotTaken)
	o.StringOmitEmpty("childExecutionId", ss.ChildID)
	o.BoolOmitEmpty("reused", ss.Reused)
	if ss.Loop != nil {
		o.Marshal("loop", ss.Loop)
	}
	return o.End()
}
