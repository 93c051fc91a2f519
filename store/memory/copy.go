package memory

import (
	"encoding/json"
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

func copyStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

func copyTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// copyAny deep-copies the values JSON decoding produces (maps, slices,
// scalars). Values of other types are shared: the store cannot know how to
// copy them, and the engine only puts decoded JSON in events.
func copyAny(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = copyAny(e)
		}
		return c
	case []any:
		return copyAnys(x)
	case []string:
		if x == nil {
			return x
		}
		return append([]string{}, x...)
	case []byte:
		if x == nil {
			return x
		}
		return append([]byte{}, x...)
	case json.RawMessage:
		if x == nil {
			return x
		}
		return append(json.RawMessage{}, x...)
	case map[string]string:
		if x == nil {
			return x
		}
		c := make(map[string]string, len(x))
		for k, e := range x {
			c[k] = e
		}
		return c
	default:
		return v
	}
}

func copyAnys(s []any) []any {
	if s == nil {
		return nil
	}
	c := make([]any, len(s))
	for i, e := range s {
		c[i] = copyAny(e)
	}
	return c
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

// copyEvent deep-copies a history event. TestCopyEventIsDeep fails when a
// field is added to runbook.Event (or to a type it holds) and not copied
// here.
func copyEvent(e *runbook.Event) runbook.Event {
	c := *e
	if e.Start != nil {
		st := *e.Start
		st.Input = copyAny(e.Start.Input)
		st.Context = copyExecutionContext(e.Start.Context)
		st.Deadline = copyTimePtr(e.Start.Deadline)
		c.Start = &st
	}
	c.Output = copyAny(e.Output)
	if e.Error != nil {
		se := *e.Error
		c.Error = &se
	}
	c.DueAt = copyTimePtr(e.DueAt)
	if e.NotTaken != nil {
		c.NotTaken = append([]string{}, e.NotTaken...)
	}
	if e.Logs != nil {
		c.Logs = make([]runbook.StepLog, len(e.Logs))
		for i, l := range e.Logs {
			l.Metadata = copyAnyMap(l.Metadata)
			c.Logs[i] = l
		}
	}
	if e.Evidence != nil {
		c.Evidence = append([]runbook.Evidence{}, e.Evidence...)
	}
	c.Items = copyAnys(e.Items)
	if e.Wait != nil {
		w := *e.Wait
		if e.Wait.Approvers != nil {
			w.Approvers = append([]string{}, e.Wait.Approvers...)
		}
		w.Input = copyAny(e.Wait.Input)
		c.Wait = &w
	}
	if e.Approval != nil {
		a := *e.Approval
		c.Approval = &a
	}
	return c
}

func copyAnyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return copyAny(m).(map[string]any)
}

func copyExecutionContext(x runbook.ExecutionContext) runbook.ExecutionContext {
	c := x
	if x.LegalBasis.AuthorizedUsers != nil {
		c.LegalBasis.AuthorizedUsers = append([]string{}, x.LegalBasis.AuthorizedUsers...)
	}
	if x.TimeRange != nil {
		tr := *x.TimeRange
		c.TimeRange = &tr
	}
	if x.GeographicScope != nil {
		c.GeographicScope = append([]string{}, x.GeographicScope...)
	}
	if x.Assumptions != nil {
		c.Assumptions = append([]string{}, x.Assumptions...)
	}
	return c
}
