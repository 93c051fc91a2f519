package contract

import (
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func TestSortClaimed(t *testing.T) {
	t.Parallel()
	at := func(sec int) time.Time { return time.Date(2025, 3, 1, 12, 0, sec, 0, time.UTC) }
	tasks := []*runbook.Task{
		{ExecutionID: "e2", Key: "a", DueAt: at(1)},
		{ExecutionID: "e1", Key: "b", DueAt: at(1)},
		{ExecutionID: "e1", Key: "a", DueAt: at(1).In(time.FixedZone("east", 3600))}, // the same instant
		{ExecutionID: "e3", Key: "a", DueAt: at(0)},
	}
	SortClaimed(tasks)
	var got []string
	for _, tk := range tasks {
		got = append(got, tk.ExecutionID+"/"+tk.Key)
	}
	want := []string{"e3/a", "e1/a", "e1/b", "e2/a"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
}
