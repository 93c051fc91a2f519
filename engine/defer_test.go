package engine_test

import (
	"encoding/json"
	"testing"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/store/memory"
)

// TestDeferredRowsAreFoldedOnRead checks that, on a store that defers
// rows, transitions that keep the execution's status write only their
// events, and that reading the execution from the store folds those
// events onto the older rows: the state read is the one the engine holds.
func TestDeferredRowsAreFoldedOnRead(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *engine.Config) { c.Store = memory.New(); c.ExclusiveStore = true })
	h.put(heldRunbook)
	id := h.start("held", nil)
	h.gates.waitArrived(t, "slow")

	// The rows are those written when the execution started: "first"
	// completing and "slow" starting are only in the history.
	rec, steps, err := h.store.GetExecution(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Seq int64 }
	if err := json.Unmarshal(rec.Data, &doc); err != nil {
		t.Fatal(err)
	}
	if history := h.history(id); rec.Seq != int64(len(history)) || doc.Seq >= rec.Seq {
		t.Fatalf("stored execution: seq %d, its document's seq %d, %d events; want the document older than the history",
			rec.Seq, doc.Seq, len(history))
	}
	for _, st := range steps {
		if st.StepID == "slow" || st.Status == runbook.StepCompleted {
			t.Fatalf("step row %s %s was written by a transition that should have deferred it", st.StepID, st.Status)
		}
	}

	// GetExecution reads the store, not the engine's cached state.
	x := h.get(id)
	if first := x.StepResults["first"]; first == nil || first.Status != runbook.StepCompleted || first.Output == nil {
		t.Fatalf("first, read from the store: %+v", first)
	}
	if slow := x.StepResults["slow"]; slow == nil || slow.Status != runbook.StepRunning {
		t.Fatalf("slow, read from the store: %+v", slow)
	}
	if err := engine.CheckFold(t.Context(), h.e, id); err != nil {
		t.Fatal(err)
	}

	h.gates.open("slow")
	x = h.waitStatus(id, runbook.ExecutionCompleted)
	if last := x.StepResults["last"]; last == nil || last.Status != runbook.StepCompleted {
		t.Fatalf("last: %+v", last)
	}
	// The execution ended: its rows are written, with every step.
	_, steps, err = h.store.GetExecution(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 {
		t.Fatalf("%d step rows after the end, want 3", len(steps))
	}
	for _, st := range steps {
		if st.Status != runbook.StepCompleted {
			t.Fatalf("step row %s is %s after the end", st.StepID, st.Status)
		}
	}
}
