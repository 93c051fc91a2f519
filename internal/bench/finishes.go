package bench

import (
	"context"
	"sync"
	"time"

	"github.com/runbookhq/runbook"
)

// finishes is an engine observer that tells a client when its execution
// ended, without the cost of watching its history.
type finishes struct {
	mu      sync.Mutex
	waiters map[string]chan runbook.ExecutionStatus
	ended   map[string]runbook.ExecutionStatus // ended before anyone waited
}

func newFinishes() *finishes {
	return &finishes{waiters: map[string]chan runbook.ExecutionStatus{}, ended: map[string]runbook.ExecutionStatus{}}
}

// ExecutionFinished hands the status to the execution's waiter.
func (f *finishes) ExecutionFinished(id, _ string, status runbook.ExecutionStatus, _ time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch := f.waiters[id]; ch != nil {
		delete(f.waiters, id)
		ch <- status
		return
	}
	f.ended[id] = status
}

// wait returns the final status of an execution.
func (f *finishes) wait(ctx context.Context, id string) (runbook.ExecutionStatus, error) {
	f.mu.Lock()
	if st, ok := f.ended[id]; ok {
		delete(f.ended, id)
		f.mu.Unlock()
		return st, nil
	}
	ch := make(chan runbook.ExecutionStatus, 1)
	f.waiters[id] = ch
	f.mu.Unlock()
	select {
	case st := <-ch:
		return st, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// The rest of engine.Observer: not needed here.
func (f *finishes) ExecutionStarted(string)                         {}
func (f *finishes) StepFinished(runbook.StepType, string)           {}
func (f *finishes) AttemptDuration(runbook.StepType, time.Duration) {}
func (f *finishes) TaskFailed(runbook.TaskKind)                     {}
