package memory

import (
	"time"

	"github.com/runbookhq/runbook"
)

// utc returns t in UTC at the microsecond precision of the SQL stores, so
// that both backends hand back the same instants.
func utc(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

func copyBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func copyRunbook(r *runbook.RunbookRecord) *runbook.RunbookRecord {
	c := *r
	c.Definition = copyBytes(r.Definition)
	c.CreatedAt = utc(r.CreatedAt)
	return &c
}

func copyExecution(e *runbook.ExecutionRecord) *runbook.ExecutionRecord {
	c := *e
	c.Data = copyBytes(e.Data)
	c.Static = copyBytes(e.Static)
	c.CreatedAt = utc(e.CreatedAt)
	c.UpdatedAt = utc(e.UpdatedAt)
	return &c
}

func copyStep(s *runbook.StepRecord) *runbook.StepRecord {
	c := *s
	c.Data = copyBytes(s.Data)
	return &c
}

func copyTask(t *runbook.Task) *runbook.Task {
	c := *t
	c.DueAt = utc(t.DueAt)
	c.LeaseExpiresAt = utc(t.LeaseExpiresAt)
	c.Payload = copyBytes(t.Payload)
	return &c
}

func copyWait(w *runbook.Wait) *runbook.Wait {
	c := *w
	c.Approvers = copyStrings(w.Approvers)
	c.Deadline = utc(w.Deadline)
	c.CreatedAt = utc(w.CreatedAt)
	c.Since = utc(w.Since)
	return &c
}

func copyInboxEvent(e *runbook.InboxEvent) *runbook.InboxEvent {
	c := *e
	c.Payload = copyBytes(e.Payload)
	c.ReceivedAt = utc(e.ReceivedAt)
	return &c
}

func copyStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}
