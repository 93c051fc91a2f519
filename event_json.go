package runbook

import "github.com/runbookhq/runbook/internal/jsonw"

// AppendJSON appends the event as JSON, byte for byte as json.Marshal
// would, without reflection: the engine encodes every event it appends.
// A test fills every field at random and compares, so a field added to
// Event without being added here fails it.
func (e *Event) AppendJSON(b []byte) ([]byte, error) {
	o := jsonw.NewObject(b)
	o.Int("seq", e.Seq)
	o.String("type", string(e.Type))
	o.Time("time", e.Time)
	o.StringOmitEmpty("actor", e.Actor)
	o.StringOmitEmpty("reason", e.Reason)
	o.StringOmitEmpty("stepId", e.StepID)
	o.IntOmitEmpty("iteration", int64(e.Iteration))
	o.IntOmitEmpty("attempt", int64(e.Attempt))
	if e.Start != nil {
		o.Marshal("start", e.Start)
	}
	o.AnyOmitEmpty("output", e.Output)
	if e.Error != nil {
		o.Append("error", e.Error.AppendJSON)
	}
	o.TimeOmitEmpty("dueAt", e.DueAt)
	o.StringsOmitEmpty("notTaken", e.NotTaken)
	o.BoolOmitEmpty("reused", e.Reused)
	o.IntOmitEmpty("deliveries", int64(e.Deliveries))
	if len(e.Logs) > 0 {
		o.Append("logs", func(b []byte) ([]byte, error) { return appendLogs(b, e.Logs) })
	}
	if len(e.Evidence) > 0 {
		o.Marshal("evidence", e.Evidence)
	}
	if len(e.Items) > 0 {
		o.Any("items", e.Items)
	}
	o.IntOmitEmpty("concurrency", int64(e.Concurrency))
	o.BoolOmitEmpty("while", e.While)
	o.IntOmitEmpty("maxIterations", int64(e.MaxIterations))
	if e.Wait != nil {
		o.Marshal("wait", e.Wait)
	}
	if e.Approval != nil {
		o.Marshal("approval", e.Approval)
	}
	o.StringOmitEmpty("eventId", e.EventID)
	o.StringOmitEmpty("timer", string(e.Timer))
	o.StringOmitEmpty("childExecutionId", e.ChildID)
	o.StringOmitEmpty("childStatus", string(e.ChildStatus))
	return o.End()
}

// AppendJSON appends the error as JSON, as json.Marshal would.
func (e *StepError) AppendJSON(b []byte) ([]byte, error) {
	o := jsonw.NewObject(b)
	o.String("message", e.Message)
	o.StringOmitEmpty("code", e.Code)
	o.BoolOmitEmpty("retryable", e.Retryable)
	o.IntOmitEmpty("statusCode", int64(e.StatusCode))
	o.IntOmitEmpty("retryAfterMs", e.RetryAfterMs)
	return o.End()
}

// AppendJSON appends the log line as JSON, as json.Marshal would.
func (l *StepLog) AppendJSON(b []byte) ([]byte, error) {
	o := jsonw.NewObject(b)
	o.Time("time", l.Time)
	o.String("level", string(l.Level))
	o.String("message", l.Message)
	if len(l.Metadata) > 0 {
		o.Append("metadata", func(b []byte) ([]byte, error) { return jsonw.AppendMap(b, l.Metadata) })
	}
	return o.End()
}

func appendLogs(b []byte, logs []StepLog) ([]byte, error) {
	b = append(b, '[')
	for i := range logs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = logs[i].AppendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}
