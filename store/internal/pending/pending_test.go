package pending

import (
	"testing"

	"github.com/runbookhq/runbook"
)

func TestPutsPositions(t *testing.T) {
	t.Parallel()
	p := New()
	a := StepRef{ExecutionID: "e1", StepID: "a"}
	if i, ok := p.Step(a, 0); i != 0 || ok {
		t.Fatalf("first Step = %d, %v; want 0, false", i, ok)
	}
	if i, ok := p.Step(StepRef{ExecutionID: "e1", StepID: "a", Iteration: 1}, 1); i != 1 || ok {
		t.Fatalf("Step of another iteration = %d, %v; want 1, false", i, ok)
	}
	if i, ok := p.Step(a, 2); i != 0 || !ok {
		t.Fatalf("Step again = %d, %v; want 0, true", i, ok)
	}
	task := runbook.TaskRef{ExecutionID: "e1", Key: "k"}
	if i, ok := p.Task(task, 0); i != 0 || ok {
		t.Fatalf("first Task = %d, %v; want 0, false", i, ok)
	}
	if i, ok := p.Task(task, 5); i != 0 || !ok {
		t.Fatalf("Task again = %d, %v; want 0, true", i, ok)
	}
	wait := runbook.WaitRef{ExecutionID: "e1", StepID: "a"}
	if i, ok := p.Wait(wait, 3); i != 3 || ok {
		t.Fatalf("first Wait = %d, %v; want 3, false", i, ok)
	}
	if i, ok := p.Wait(wait, 4); i != 3 || !ok {
		t.Fatalf("Wait again = %d, %v; want 3, true", i, ok)
	}
}

func TestPutsConflicts(t *testing.T) {
	t.Parallel()
	p := New()
	p.Step(StepRef{ExecutionID: "steps-only", StepID: "a"}, 0)
	p.Task(runbook.TaskRef{ExecutionID: "e1", Key: "k"}, 0)
	p.Wait(runbook.WaitRef{ExecutionID: "e2", StepID: "a", Iteration: 1}, 0)
	exec := func(id string) *runbook.ExecutionRecord { return &runbook.ExecutionRecord{ID: id} }
	for _, c := range []struct {
		name string
		t    *runbook.Transition
		want bool
	}{
		{"nothing removed", &runbook.Transition{Execution: exec("e1")}, false},
		{"clear with a pending task", &runbook.Transition{Execution: exec("e1"), ClearAll: true}, true},
		{"clear with a pending wait", &runbook.Transition{Execution: exec("e2"), ClearAll: true}, true},
		{"clear with only steps pending", &runbook.Transition{Execution: exec("steps-only"), ClearAll: true}, false},
		{"clear of another execution", &runbook.Transition{Execution: exec("e3"), ClearAll: true}, false},
		{"delete of a pending task", &runbook.Transition{Execution: exec("e3"),
			DeleteTasks: []runbook.TaskRef{{ExecutionID: "e1", Key: "k"}}}, true},
		{"delete of another task", &runbook.Transition{Execution: exec("e1"),
			DeleteTasks: []runbook.TaskRef{{ExecutionID: "e1", Key: "other"}}}, false},
		{"delete of a pending wait", &runbook.Transition{Execution: exec("e2"),
			DeleteWaits: []runbook.WaitRef{{ExecutionID: "e2", StepID: "a", Iteration: 1}}}, true},
		{"delete of another iteration", &runbook.Transition{Execution: exec("e2"),
			DeleteWaits: []runbook.WaitRef{{ExecutionID: "e2", StepID: "a"}}}, false},
	} {
		if got := p.Conflicts(c.t); got != c.want {
			t.Errorf("%s: Conflicts = %v, want %v", c.name, got, c.want)
		}
	}
}
