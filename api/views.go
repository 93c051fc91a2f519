package api

import (
	"time"

	"github.com/runbookhq/runbook"
)

// The response shapes of the domain types. Each embeds the domain value and
// shadows its time fields (a field at a shallower depth wins in
// encoding/json) with msTime, so that responses keep the domain's field
// names and show every time as RFC 3339 UTC with milliseconds.

// timeLayout is RFC 3339 with milliseconds, always in UTC ("Z").
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// msTime is a time that encodes as RFC 3339 UTC with milliseconds.
type msTime time.Time

// MarshalJSON implements json.Marshaler.
func (t msTime) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(timeLayout)+2)
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, timeLayout)
	return append(b, '"'), nil
}

// msPtr converts an optional time.
func msPtr(t *time.Time) *msTime {
	if t == nil {
		return nil
	}
	v := msTime(*t)
	return &v
}

// msNonZero converts a time whose zero value means "none".
func msNonZero(t time.Time) *msTime {
	if t.IsZero() {
		return nil
	}
	v := msTime(t)
	return &v
}

type runbookView struct {
	*runbook.Runbook
	CreatedAt *msTime `json:"createdAt,omitempty"`
	UpdatedAt *msTime `json:"updatedAt,omitempty"`
}

func viewRunbook(rb *runbook.Runbook) runbookView {
	return runbookView{Runbook: rb, CreatedAt: msPtr(rb.CreatedAt), UpdatedAt: msPtr(rb.UpdatedAt)}
}

// runbookSummary is one stored version of a runbook, without its steps.
type runbookSummary struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description"`
	StepCount   int    `json:"stepCount"`
	CreatedAt   msTime `json:"createdAt"`
	Hash        string `json:"hash"`
}

func viewRunbookRecord(rec *runbook.RunbookRecord) runbookSummary {
	return runbookSummary{ID: rec.ID, Name: rec.Name, Version: rec.Version, Description: rec.Description,
		StepCount: rec.StepCount, CreatedAt: msTime(rec.CreatedAt), Hash: rec.Hash}
}

type contextView struct {
	runbook.ExecutionContext
	TimeRange *timeRangeView `json:"timeRange,omitempty"`
}

type timeRangeView struct {
	StartTime msTime `json:"startTime"`
	EndTime   msTime `json:"endTime"`
}

func viewContext(c runbook.ExecutionContext) contextView {
	v := contextView{ExecutionContext: c}
	if c.TimeRange != nil {
		v.TimeRange = &timeRangeView{StartTime: msTime(c.TimeRange.StartTime), EndTime: msTime(c.TimeRange.EndTime)}
	}
	return v
}

type executionView struct {
	*runbook.Execution
	Context     contextView                `json:"context"`
	StartTime   msTime                     `json:"startTime"`
	EndTime     *msTime                    `json:"endTime,omitempty"`
	PausedAt    *msTime                    `json:"pausedAt,omitempty"`
	StepResults map[string]*stepResultView `json:"stepResults"`
}

func viewExecution(x *runbook.Execution) *executionView {
	v := &executionView{Execution: x, Context: viewContext(x.Context), StartTime: msTime(x.StartTime),
		EndTime: msPtr(x.EndTime), PausedAt: msPtr(x.PausedAt), StepResults: make(map[string]*stepResultView, len(x.StepResults))}
	for id, r := range x.StepResults {
		v.StepResults[id] = viewStepResult(r)
	}
	return v
}

type stepResultView struct {
	*runbook.StepResult
	StartTime     *msTime        `json:"startTime,omitempty"`
	EndTime       *msTime        `json:"endTime,omitempty"`
	NextAttemptAt *msTime        `json:"nextAttemptAt,omitempty"`
	Approvals     []approvalView `json:"approvals,omitempty"`
	Wait          *waitView      `json:"wait,omitempty"`
}

func viewStepResult(r *runbook.StepResult) *stepResultView {
	return &stepResultView{StepResult: r, StartTime: msPtr(r.StartTime), EndTime: msPtr(r.EndTime),
		NextAttemptAt: msPtr(r.NextAttemptAt), Approvals: viewApprovals(r.Approvals), Wait: viewWait(r.Wait)}
}

type approvalView struct {
	runbook.Approval
	Timestamp msTime `json:"timestamp"`
}

// viewApprovals converts decisions; nil stays nil (omitted where optional).
func viewApprovals(as []runbook.Approval) []approvalView {
	if as == nil {
		return nil
	}
	out := make([]approvalView, len(as))
	for i, a := range as {
		out[i] = approvalView{Approval: a, Timestamp: msTime(a.Timestamp)}
	}
	return out
}

type waitView struct {
	*runbook.WaitInfo
	Deadline *msTime `json:"deadline,omitempty"`
}

func viewWait(w *runbook.WaitInfo) *waitView {
	if w == nil {
		return nil
	}
	return &waitView{WaitInfo: w, Deadline: msNonZero(w.Deadline)}
}

type executionSummaryView struct {
	runbook.ExecutionSummary
	StartTime msTime `json:"startTime"`
	UpdatedAt msTime `json:"updatedAt"`
}

func viewSummaries(list []runbook.ExecutionSummary) []executionSummaryView {
	out := make([]executionSummaryView, len(list))
	for i, x := range list {
		out[i] = executionSummaryView{ExecutionSummary: x, StartTime: msTime(x.StartTime), UpdatedAt: msTime(x.UpdatedAt)}
	}
	return out
}

type logEntryView struct {
	runbook.LogEntry
	Timestamp msTime `json:"timestamp"`
}

func viewLogs(logs []runbook.LogEntry) []logEntryView {
	out := make([]logEntryView, len(logs))
	for i, l := range logs {
		out[i] = logEntryView{LogEntry: l, Timestamp: msTime(l.Timestamp)}
	}
	return out
}

type evidenceView struct {
	runbook.Evidence
	Timestamp msTime `json:"timestamp"`
}

func viewEvidence(items []runbook.Evidence) []evidenceView {
	if items == nil {
		return nil
	}
	out := make([]evidenceView, len(items))
	for i, e := range items {
		out[i] = evidenceView{Evidence: e, Timestamp: msTime(e.Timestamp)}
	}
	return out
}

type eventView struct {
	*runbook.Event
	Time     msTime         `json:"time"`
	DueAt    *msTime        `json:"dueAt,omitempty"`
	Start    *startView     `json:"start,omitempty"`
	Logs     []stepLogView  `json:"logs,omitempty"`
	Evidence []evidenceView `json:"evidence,omitempty"`
	Wait     *waitView      `json:"wait,omitempty"`
	Approval *approvalView  `json:"approval,omitempty"`
}

type startView struct {
	*runbook.StartInfo
	Context  contextView `json:"context"`
	Deadline *msTime     `json:"deadline,omitempty"`
}

type stepLogView struct {
	runbook.StepLog
	Time msTime `json:"time"`
}

func viewEvent(ev *runbook.Event) *eventView {
	v := &eventView{Event: ev, Time: msTime(ev.Time), DueAt: msPtr(ev.DueAt), Evidence: viewEvidence(ev.Evidence),
		Wait: viewWait(ev.Wait)}
	if ev.Start != nil {
		v.Start = &startView{StartInfo: ev.Start, Context: viewContext(ev.Start.Context), Deadline: msPtr(ev.Start.Deadline)}
	}
	if ev.Logs != nil {
		v.Logs = make([]stepLogView, len(ev.Logs))
		for i, l := range ev.Logs {
			v.Logs[i] = stepLogView{StepLog: l, Time: msTime(l.Time)}
		}
	}
	if ev.Approval != nil {
		v.Approval = &approvalView{Approval: *ev.Approval, Timestamp: msTime(ev.Approval.Timestamp)}
	}
	return v
}

func viewEvents(events []runbook.Event) []*eventView {
	out := make([]*eventView, len(events))
	for i := range events {
		out[i] = viewEvent(&events[i])
	}
	return out
}

type pendingApprovalView struct {
	runbook.PendingApproval
	Decisions   []approvalView `json:"decisions"`
	RequestedAt msTime         `json:"requestedAt"`
	Deadline    *msTime        `json:"deadline,omitempty"`
}

func viewPendingApprovals(list []runbook.PendingApproval) []pendingApprovalView {
	out := make([]pendingApprovalView, len(list))
	for i, p := range list {
		decisions := viewApprovals(p.Decisions)
		if decisions == nil {
			decisions = []approvalView{}
		}
		out[i] = pendingApprovalView{PendingApproval: p, Decisions: decisions, RequestedAt: msTime(p.RequestedAt),
			Deadline: msPtr(p.Deadline)}
	}
	return out
}
