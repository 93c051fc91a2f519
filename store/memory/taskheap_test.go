package memory

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func TestTaskIndexOrder(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	x := newTaskIndex()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 500 {
		tk := &runbook.Task{ExecutionID: fmt.Sprintf("e%d", rng.IntN(5)), Key: fmt.Sprintf("k%d", i),
			DueAt: base.Add(time.Duration(rng.IntN(50)) * time.Second)}
		if rng.IntN(3) == 0 {
			tk.Owner, tk.LeaseExpiresAt = "w", base.Add(time.Duration(rng.IntN(80))*time.Second)
		}
		x.put(tk)
		if rng.IntN(4) == 0 { // replace or delete a random earlier task
			ref := runbook.TaskRef{ExecutionID: fmt.Sprintf("e%d", rng.IntN(5)), Key: fmt.Sprintf("k%d", rng.IntN(i+1))}
			if rng.IntN(2) == 0 {
				x.delete(ref)
			} else {
				x.put(&runbook.Task{ExecutionID: ref.ExecutionID, Key: ref.Key, DueAt: base.Add(time.Duration(rng.IntN(50)) * time.Second)})
			}
		}
	}
	var all []*taskEntry
	for _, entries := range x.byExec {
		all = append(all, entries...)
	}
	slices.SortFunc(all, func(a, b *taskEntry) int {
		if lessAt(a, b, a.task.DueAt, b.task.DueAt) {
			return -1
		}
		return 1
	})
	var walked []*taskEntry
	x.due.ascend(func(e *taskEntry) bool { walked = append(walked, e); return true })
	if !slices.Equal(walked, all) {
		t.Fatalf("ascend visited %d entries out of order (want %d)", len(walked), len(all))
	}
	walked = walked[:0]
	x.due.ascend(func(e *taskEntry) bool { walked = append(walked, e); return len(walked) < 10 })
	if !slices.Equal(walked, all[:10]) {
		t.Fatal("a stopped walk did not visit the 10 first entries")
	}
	if len(x.free.items)+len(x.owned.items) != len(all) || len(x.due.items) != len(all) {
		t.Fatalf("heaps hold %d+%d and %d entries, want %d", len(x.free.items), len(x.owned.items), len(x.due.items), len(all))
	}
	var earliest time.Time
	for i, e := range all {
		if at := e.claimableAt(); i == 0 || at.Before(earliest) {
			earliest = at
		}
	}
	top := x.free.top()
	if o := x.owned.top(); top == nil || (o != nil && o.claimableAt().Before(top.claimableAt())) {
		top = o
	}
	if !top.claimableAt().Equal(earliest) {
		t.Fatalf("heap tops give %v, want the earliest claimable time %v", top.claimableAt(), earliest)
	}
}
