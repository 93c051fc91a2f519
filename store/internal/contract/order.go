package contract

import (
	"sort"

	"github.com/runbookhq/runbook"
)

// SortClaimed puts the tasks of a ClaimTasks call in the order it returns
// them: earliest due first, then by execution id and task key. A store
// that claims with UPDATE ... RETURNING needs it: RETURNING promises no
// order.
func SortClaimed(tasks []*runbook.Task) {
	sort.Slice(tasks, func(i, j int) bool {
		a, b := tasks[i], tasks[j]
		switch {
		case !a.DueAt.Equal(b.DueAt):
			return a.DueAt.Before(b.DueAt)
		case a.ExecutionID != b.ExecutionID:
			return a.ExecutionID < b.ExecutionID
		}
		return a.Key < b.Key
	})
}
