package memory

import (
	"context"
	"slices"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
)

// taskEntry is a stored task and its positions in the index's heaps.
type taskEntry struct {
	task     *runbook.Task
	duePos   int // in taskIndex.due
	availPos int // in taskIndex.free or taskIndex.owned, by whether it has an owner
}

// claimableAt is when the task can be claimed by someone other than its
// owner.
func (e *taskEntry) claimableAt() time.Time {
	t := e.task
	if t.Owner != "" && t.LeaseExpiresAt.After(t.DueAt) {
		return t.LeaseExpiresAt
	}
	return t.DueAt
}

// taskIndex keeps tasks by execution and key, by owner, and in three heaps:
// every task by due time (ClaimTasks walks it in order and skips tasks under
// a live lease, which are few), unowned tasks by due time and owned tasks by
// the time their lease lets someone else claim them (NextDue reads both
// tops).
//
// An execution's tasks are a slice, searched by key: an execution has a
// handful of tasks at a time (a global timer, a timer or attempt per
// running step), and a map per execution cost 250 bytes more for each of
// the executions parked on a timer.
type taskIndex struct {
	byExec  map[string][]*taskEntry
	byOwner map[string]map[*taskEntry]struct{}
	due     *taskHeap
	free    *taskHeap
	owned   *taskHeap
}

func newTaskIndex() taskIndex {
	byDue := func(a, b *taskEntry) bool { return lessAt(a, b, a.task.DueAt, b.task.DueAt) }
	byClaimable := func(a, b *taskEntry) bool { return lessAt(a, b, a.claimableAt(), b.claimableAt()) }
	duePos := func(e *taskEntry) *int { return &e.duePos }
	availPos := func(e *taskEntry) *int { return &e.availPos }
	return taskIndex{
		byExec:  make(map[string][]*taskEntry),
		byOwner: make(map[string]map[*taskEntry]struct{}),
		due:     &taskHeap{less: byDue, pos: duePos},
		free:    &taskHeap{less: byDue, pos: availPos},
		owned:   &taskHeap{less: byClaimable, pos: availPos},
	}
}

// lessAt orders entries by the times given, then by execution and key so
// that the order is total.
func lessAt(a, b *taskEntry, ta, tb time.Time) bool {
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	if a.task.ExecutionID != b.task.ExecutionID {
		return a.task.ExecutionID < b.task.ExecutionID
	}
	return a.task.Key < b.task.Key
}

// find returns the entry of the task ref names, or nil.
func (x *taskIndex) find(ref runbook.TaskRef) *taskEntry {
	for _, e := range x.byExec[ref.ExecutionID] {
		if e.task.Key == ref.Key {
			return e
		}
	}
	return nil
}

// put inserts t or replaces every field of the task with its key.
func (x *taskIndex) put(t *runbook.Task) {
	if e := x.find(runbook.TaskRef{ExecutionID: t.ExecutionID, Key: t.Key}); e != nil {
		x.remove(e)
	}
	e := &taskEntry{task: t}
	x.byExec[t.ExecutionID] = append(x.byExec[t.ExecutionID], e)
	x.due.add(e)
	x.track(e)
}

func (x *taskIndex) delete(ref runbook.TaskRef) {
	if e := x.find(ref); e != nil {
		x.remove(e)
	}
}

func (x *taskIndex) deleteExecution(id string) {
	entries := x.byExec[id]
	delete(x.byExec, id)
	for _, e := range entries {
		x.due.remove(e)
		x.untrack(e)
	}
}

func (x *taskIndex) remove(e *taskEntry) {
	id := e.task.ExecutionID
	entries := x.byExec[id]
	if i := slices.Index(entries, e); i >= 0 {
		entries = slices.Delete(entries, i, i+1)
	}
	if len(entries) == 0 {
		delete(x.byExec, id)
	} else {
		x.byExec[id] = entries
	}
	x.due.remove(e)
	x.untrack(e)
}

// track adds e to the free or owned heap and to the owner index.
func (x *taskIndex) track(e *taskEntry) {
	owner := e.task.Owner
	if owner == "" {
		x.free.add(e)
		return
	}
	x.owned.add(e)
	set := x.byOwner[owner]
	if set == nil {
		set = make(map[*taskEntry]struct{})
		x.byOwner[owner] = set
	}
	set[e] = struct{}{}
}

// untrack undoes track; call it before changing the task's owner.
func (x *taskIndex) untrack(e *taskEntry) {
	owner := e.task.Owner
	if owner == "" {
		x.free.remove(e)
		return
	}
	x.owned.remove(e)
	set := x.byOwner[owner]
	delete(set, e)
	if len(set) == 0 {
		delete(x.byOwner, owner)
	}
}

// ClaimTasks leases up to limit claimable tasks, earliest due first, to
// owner until leaseUntil.
func (s *Store) ClaimTasks(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*runbook.Task, error) {
	if err := contract.CheckOwner(owner); err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if limit <= 0 {
		return []*runbook.Task{}, nil
	}
	now, leaseUntil = utc(now), utc(leaseUntil)
	var picked []*taskEntry
	s.tasks.due.ascend(func(e *taskEntry) bool {
		t := e.task
		if t.DueAt.After(now) {
			return false
		}
		if t.Owner == "" || !t.LeaseExpiresAt.After(now) {
			picked = append(picked, e)
		}
		return len(picked) < limit
	})
	// The due heap is keyed by DueAt alone, which a claim does not change,
	// so it stays valid while the claimed entries move between the others.
	out := make([]*runbook.Task, len(picked))
	for i, e := range picked {
		s.tasks.untrack(e)
		e.task.Owner = owner
		e.task.LeaseExpiresAt = leaseUntil
		e.task.Deliveries++
		s.tasks.track(e)
		out[i] = copyTask(e.task)
	}
	return out, nil
}

// NextDue returns the earliest time at which a task can be claimed by
// someone other than its current owner.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	if err := s.lock(ctx); err != nil {
		return time.Time{}, false, err
	}
	defer s.mu.Unlock()
	var next time.Time
	ok := false
	if e := s.tasks.free.top(); e != nil {
		next, ok = e.task.DueAt, true
	}
	if e := s.tasks.owned.top(); e != nil {
		if at := e.claimableAt(); !ok || at.Before(next) {
			next, ok = at, true
		}
	}
	return next, ok, nil
}

// ExtendLeases moves every lease of owner to until.
func (s *Store) ExtendLeases(ctx context.Context, owner string, until time.Time) error {
	if err := contract.CheckOwner(owner); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	until = utc(until)
	for e := range s.tasks.byOwner[owner] {
		e.task.LeaseExpiresAt = until
		s.tasks.owned.fix(e)
	}
	return nil
}

// ReleaseLeases gives back every lease of owner, or every lease when owner
// is "".
func (s *Store) ReleaseLeases(ctx context.Context, owner string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	var entries []*taskEntry
	if owner == "" {
		entries = append(entries, s.tasks.owned.items...)
	} else {
		for e := range s.tasks.byOwner[owner] {
			entries = append(entries, e)
		}
	}
	for _, e := range entries {
		s.tasks.untrack(e)
		e.task.Owner = ""
		e.task.LeaseExpiresAt = time.Time{}
		s.tasks.track(e)
	}
	return nil
}
