package contract

import "github.com/runbookhq/runbook"

// CheckRunbook reports a record that cannot be stored.
func CheckRunbook(rec *runbook.RunbookRecord) error {
	switch {
	case rec == nil:
		return runbook.Errorf(runbook.EINVALID, "runbook record is missing")
	case rec.ID == "":
		return runbook.Errorf(runbook.EINVALID, "runbook id is required")
	case rec.Version == "":
		return runbook.Errorf(runbook.EINVALID, "runbook %q: version is required", rec.ID)
	}
	return nil
}

// CheckOwner reports an empty lease owner: a task leased to "" would look
// unowned and could be claimed twice.
func CheckOwner(owner string) error {
	if owner == "" {
		return runbook.Errorf(runbook.EINVALID, "lease owner is required")
	}
	return nil
}

// CheckInboxEvent reports an event that cannot be delivered.
func CheckInboxEvent(ev *runbook.InboxEvent) error {
	switch {
	case ev == nil:
		return runbook.Errorf(runbook.EINVALID, "event is missing")
	case ev.ID == "":
		return runbook.Errorf(runbook.EINVALID, "event id is required")
	}
	return nil
}

// CheckTransition reports a transition that breaks the Store contract. It
// needs no stored state, so a store calls it before writing anything and
// refuses only that transition.
//
// The events must be numbered one after the other from the expected
// sequence number (from 1 for Create), and the execution's Seq must be the
// number of the last one: this keeps every history gap-free and makes a
// duplicate sequence number impossible once the expected one matched.
func CheckTransition(t *runbook.Transition) error {
	if t == nil || t.Execution == nil {
		return runbook.Errorf(runbook.EINVALID, "transition has no execution")
	}
	id := t.Execution.ID
	if id == "" {
		return runbook.Errorf(runbook.EINVALID, "transition: execution id is required")
	}
	base := t.ExpectedSeq
	if t.Create {
		base = 0
	}
	for i, ev := range t.Events {
		if want := base + int64(i) + 1; ev.Seq != want {
			return runbook.Errorf(runbook.EINVALID, "execution %q: event %d has seq %d, want %d", id, i, ev.Seq, want)
		}
	}
	if want := base + int64(len(t.Events)); t.Execution.Seq != want {
		return runbook.Errorf(runbook.EINVALID, "execution %q: seq is %d, want %d (the last event appended)", id, t.Execution.Seq, want)
	}
	if t.RunbookVersions < 0 || t.RunbookVersions > 0 && !t.Create {
		return runbook.Errorf(runbook.EINVALID, "execution %q: RunbookVersions is a condition of a Create (got %d)", id, t.RunbookVersions)
	}
	if t.DeferRows && t.Create {
		return runbook.Errorf(runbook.EINVALID, "execution %q: a new execution writes its rows (DeferRows with Create)", id)
	}
	if t.DeferRows && len(t.Steps) > 0 {
		return runbook.Errorf(runbook.EINVALID, "execution %q: DeferRows with step rows", id)
	}
	if n := len(t.Events); t.DeferRows && n > 0 && !t.Execution.UpdatedAt.Equal(t.Events[n-1].Time) {
		return runbook.Errorf(runbook.EINVALID, "execution %q: with DeferRows, updatedAt must be the last event's time", id)
	}
	for _, st := range t.Steps {
		if st == nil || st.StepID == "" {
			return runbook.Errorf(runbook.EINVALID, "execution %q: step row without step id", id)
		}
		if st.ExecutionID != "" && st.ExecutionID != id {
			return runbook.Errorf(runbook.EINVALID, "execution %q: step row %q belongs to execution %q", id, st.StepID, st.ExecutionID)
		}
	}
	for _, tk := range t.PutTasks {
		if tk == nil || tk.ExecutionID == "" || tk.Key == "" {
			return runbook.Errorf(runbook.EINVALID, "execution %q: task without execution id or key", id)
		}
	}
	for _, w := range t.PutWaits {
		if w == nil || w.ExecutionID == "" || w.StepID == "" {
			return runbook.Errorf(runbook.EINVALID, "execution %q: wait without execution id or step id", id)
		}
	}
	for _, q := range t.MatchInbox {
		if q == nil {
			return runbook.Errorf(runbook.EINVALID, "execution %q: empty inbox query", id)
		}
	}
	return nil
}
