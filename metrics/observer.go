package metrics

import (
	"time"

	"github.com/runbookhq/runbook"
)

// The methods below make *Metrics an engine.Observer (engine/observer.go).

// ExecutionStarted counts an execution created for runbookID.
func (m *Metrics) ExecutionStarted(runbookID string) {
	m.executionsStarted.WithLabelValues(runbookID).Inc()
}

// ExecutionFinished counts an execution that reached a terminal status and
// records how long it took.
func (m *Metrics) ExecutionFinished(_, runbookID string, status runbook.ExecutionStatus, took time.Duration) {
	m.executionsFinished.WithLabelValues(runbookID, string(status)).Inc()
	m.executionDuration.WithLabelValues(string(status)).Observe(took.Seconds())
}

// StepFinished counts an attempt of a step that ended with outcome
// (completed, failed, retrying, cancelled or parked).
func (m *Metrics) StepFinished(stepType runbook.StepType, outcome string) {
	m.stepAttempts.WithLabelValues(string(stepType), outcome).Inc()
}

// TaskFailed counts a task that failed and will be tried again.
func (m *Metrics) TaskFailed(kind runbook.TaskKind) {
	m.taskFailures.WithLabelValues(string(kind)).Inc()
}

// AttemptDuration records the time an executor took for an attempt.
func (m *Metrics) AttemptDuration(stepType runbook.StepType, took time.Duration) {
	m.attemptDuration.WithLabelValues(string(stepType)).Observe(took.Seconds())
}
