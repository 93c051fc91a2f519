package engine

import (
	"time"

	"github.com/runbookhq/runbook"
)

// Observer receives the engine's measurements, for metrics. Methods are
// called on hot paths: they must be fast and safe for concurrent use.
type Observer interface {
	// ExecutionStarted is called when an execution was created.
	ExecutionStarted(runbookID string)
	// ExecutionFinished is called when an execution reached a terminal
	// status (a failed execution revived by a retry may finish again).
	ExecutionFinished(executionID, runbookID string, status runbook.ExecutionStatus, took time.Duration)
	// StepFinished is called when an attempt of a step (or iteration)
	// ended: outcome is completed, failed, retrying, cancelled or parked.
	StepFinished(stepType runbook.StepType, outcome string)
	// AttemptDuration is called with the time an executor took for an
	// attempt run by a worker (call-service steps).
	AttemptDuration(stepType runbook.StepType, took time.Duration)
	// TaskFailed is called when a task failed on this node and will be
	// tried again (a task that keeps failing shows here).
	TaskFailed(kind runbook.TaskKind)
}

type nopObserver struct{}

func (nopObserver) ExecutionStarted(string)                                                  {}
func (nopObserver) ExecutionFinished(string, string, runbook.ExecutionStatus, time.Duration) {}
func (nopObserver) StepFinished(runbook.StepType, string)                                    {}
func (nopObserver) AttemptDuration(runbook.StepType, time.Duration)                          {}
func (nopObserver) TaskFailed(runbook.TaskKind)                                              {}

// observe reports a committed transition's events to the observer.
func (e *Engine) observe(t *txn) {
	for i := range t.events {
		ev := &t.events[i]
		switch ev.Type {
		case runbook.EventExecutionStarted:
			e.obs.ExecutionStarted(t.s.RunbookID)
		case runbook.EventExecutionCompleted, runbook.EventExecutionFailed, runbook.EventExecutionCancelled:
			e.obs.ExecutionFinished(t.s.ID, t.s.RunbookID, t.s.Status, ev.Time.Sub(t.s.StartTime))
		case runbook.EventStepCompleted, runbook.EventStepFailed, runbook.EventStepRetryScheduled, runbook.EventStepCancelled,
			runbook.EventApprovalRequested, runbook.EventEventAwaited:
			if ev.Reused {
				continue
			}
			def := t.p.stepDef(stepKey{ev.StepID, ev.Iteration})
			if def == nil {
				continue
			}
			e.obs.StepFinished(def.Type, stepOutcome(ev.Type))
		}
	}
}

func stepOutcome(t runbook.EventType) string {
	switch t {
	case runbook.EventStepCompleted:
		return "completed"
	case runbook.EventStepFailed:
		return "failed"
	case runbook.EventStepRetryScheduled:
		return "retrying"
	case runbook.EventStepCancelled:
		return "cancelled"
	}
	return "parked"
}
