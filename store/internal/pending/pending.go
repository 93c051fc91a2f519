// Package pending keeps track of the step, task and wait rows that a SQL
// store's Commit has gathered but not yet written, so that a row put twice
// in one batch is written once, with its last values, and a transition
// that removes a row still pending makes the store write the batch first.
// How the rows are held and written is each store's own.
package pending

import "github.com/runbookhq/runbook"

// StepRef is the key of a step row.
type StepRef struct {
	ExecutionID, StepID string
	Iteration           int
}

// Puts maps the keys of the pending step, task and wait rows to their
// positions in the store's batch. The zero Puts is not usable; call New.
type Puts struct {
	steps map[StepRef]int
	tasks map[runbook.TaskRef]int
	waits map[runbook.WaitRef]int
}

// New returns an empty Puts.
func New() Puts {
	return Puts{steps: map[StepRef]int{}, tasks: map[runbook.TaskRef]int{}, waits: map[runbook.WaitRef]int{}}
}

// Step returns the position of the pending row of ref and true when there
// is one; otherwise it records next as that position and returns next and
// false.
func (p Puts) Step(ref StepRef, next int) (int, bool) {
	return put(p.steps, ref, next)
}

// Task is Step for a task row.
func (p Puts) Task(ref runbook.TaskRef, next int) (int, bool) {
	return put(p.tasks, ref, next)
}

// Wait is Step for a wait row.
func (p Puts) Wait(ref runbook.WaitRef, next int) (int, bool) {
	return put(p.waits, ref, next)
}

func put[K comparable](m map[K]int, ref K, next int) (int, bool) {
	if i, ok := m[ref]; ok {
		return i, true
	}
	m[ref] = next
	return next, false
}

// Conflicts reports whether t removes (or clears) a task or wait row that
// is pending, so that the pending rows must be written before t's: the
// store writes a batch's deletes before its puts.
func (p Puts) Conflicts(t *runbook.Transition) bool {
	if t.ClearAll {
		id := t.Execution.ID
		for ref := range p.tasks {
			if ref.ExecutionID == id {
				return true
			}
		}
		for ref := range p.waits {
			if ref.ExecutionID == id {
				return true
			}
		}
	}
	for _, ref := range t.DeleteTasks {
		if _, ok := p.tasks[ref]; ok {
			return true
		}
	}
	for _, ref := range t.DeleteWaits {
		if _, ok := p.waits[ref]; ok {
			return true
		}
	}
	return false
}
