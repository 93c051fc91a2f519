package memory

import (
	"context"
	"slices"
	"sort"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
)

// eventKey is what an event wait and an inbox event are matched on.
type eventKey struct {
	tenantID      string
	typ           string
	correlationID string
}

// waitIndex keeps waits by execution and event waits by what they match.
//
// An execution's waits are a slice, searched by step and iteration, for the
// reason given at taskIndex.
type waitIndex struct {
	byExec  map[string][]*runbook.Wait
	byEvent map[eventKey]map[*runbook.Wait]struct{}
}

func newWaitIndex() waitIndex {
	return waitIndex{
		byExec:  make(map[string][]*runbook.Wait),
		byEvent: make(map[eventKey]map[*runbook.Wait]struct{}),
	}
}

func waitEventKey(w *runbook.Wait) eventKey {
	return eventKey{w.TenantID, w.EventType, w.CorrelationID}
}

// put inserts w or replaces the wait of the same step and iteration.
func (x *waitIndex) put(w *runbook.Wait) {
	x.delete(runbook.WaitRef{ExecutionID: w.ExecutionID, StepID: w.StepID, Iteration: w.Iteration})
	x.byExec[w.ExecutionID] = append(x.byExec[w.ExecutionID], w)
	if w.Kind == runbook.WaitEvent {
		k := waitEventKey(w)
		set := x.byEvent[k]
		if set == nil {
			set = make(map[*runbook.Wait]struct{})
			x.byEvent[k] = set
		}
		set[w] = struct{}{}
	}
}

func (x *waitIndex) delete(ref runbook.WaitRef) {
	for _, w := range x.byExec[ref.ExecutionID] {
		if w.StepID == ref.StepID && w.Iteration == ref.Iteration {
			x.remove(w)
			return
		}
	}
}

func (x *waitIndex) deleteExecution(id string) {
	for _, w := range slices.Clone(x.byExec[id]) {
		x.remove(w)
	}
}

func (x *waitIndex) remove(w *runbook.Wait) {
	waits := x.byExec[w.ExecutionID]
	if i := slices.Index(waits, w); i >= 0 {
		waits = slices.Delete(waits, i, i+1)
	}
	if len(waits) == 0 {
		delete(x.byExec, w.ExecutionID)
	} else {
		x.byExec[w.ExecutionID] = waits
	}
	if w.Kind == runbook.WaitEvent {
		k := waitEventKey(w)
		set := x.byEvent[k]
		delete(set, w)
		if len(set) == 0 {
			delete(x.byEvent, k)
		}
	}
}

// sortWaits orders waits oldest first, then by execution, step and
// iteration.
func sortWaits(ws []*runbook.Wait) {
	sort.Slice(ws, func(i, j int) bool {
		a, b := ws[i], ws[j]
		switch {
		case !a.CreatedAt.Equal(b.CreatedAt):
			return a.CreatedAt.Before(b.CreatedAt)
		case a.ExecutionID != b.ExecutionID:
			return a.ExecutionID < b.ExecutionID
		case a.StepID != b.StepID:
			return a.StepID < b.StepID
		}
		return a.Iteration < b.Iteration
	})
}

// inboxIndex keeps delivered events by id and, for matching, by what they
// match ordered by (ReceivedAt, ID).
type inboxIndex struct {
	byID  map[string]*runbook.InboxEvent
	byKey map[eventKey][]*runbook.InboxEvent
}

func newInboxIndex() inboxIndex {
	return inboxIndex{
		byID:  make(map[string]*runbook.InboxEvent),
		byKey: make(map[eventKey][]*runbook.InboxEvent),
	}
}

func inboxLess(a, b *runbook.InboxEvent) bool {
	if !a.ReceivedAt.Equal(b.ReceivedAt) {
		return a.ReceivedAt.Before(b.ReceivedAt)
	}
	return a.ID < b.ID
}

// add stores ev; it reports false if its id was already delivered.
func (x *inboxIndex) add(ev *runbook.InboxEvent) bool {
	if _, ok := x.byID[ev.ID]; ok {
		return false
	}
	x.byID[ev.ID] = ev
	k := eventKey{ev.TenantID, ev.Type, ev.CorrelationID}
	list := x.byKey[k]
	i := sort.Search(len(list), func(i int) bool { return inboxLess(ev, list[i]) })
	x.byKey[k] = slices.Insert(list, i, ev)
	return true
}

// match returns copies of the delivered events q selects, oldest first.
func (x *inboxIndex) match(q *runbook.InboxQuery) []*runbook.InboxEvent {
	list := x.byKey[eventKey{q.TenantID, q.Type, q.CorrelationID}]
	since := utc(q.Since)
	i := sort.Search(len(list), func(i int) bool { return !list[i].ReceivedAt.Before(since) })
	if i == len(list) {
		return nil
	}
	out := make([]*runbook.InboxEvent, 0, len(list)-i)
	for _, ev := range list[i:] {
		out = append(out, copyInboxEvent(ev))
	}
	return out
}

// DeliverEvent stores ev and returns the event waits it matches, oldest
// first.
func (s *Store) DeliverEvent(ctx context.Context, ev *runbook.InboxEvent) ([]*runbook.Wait, error) {
	if err := contract.CheckInboxEvent(ev); err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if !s.inbox.add(copyInboxEvent(ev)) {
		return nil, contract.ErrEventExists(ev.ID)
	}
	set := s.waits.byEvent[eventKey{ev.TenantID, ev.Type, ev.CorrelationID}]
	out := make([]*runbook.Wait, 0, len(set))
	for w := range set {
		out = append(out, copyWait(w))
	}
	sortWaits(out)
	return out, nil
}

// ListWaits returns the waits f selects, oldest first.
func (s *Store) ListWaits(ctx context.Context, f runbook.WaitFilter) ([]*runbook.Wait, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var matched []*runbook.Wait
	for _, m := range s.waits.byExec {
		for _, w := range m {
			if (f.Kind != "" && w.Kind != f.Kind) ||
				(f.TenantID != "" && w.TenantID != f.TenantID) ||
				(f.Approver != "" && !slices.Contains(w.Approvers, f.Approver)) {
				continue
			}
			matched = append(matched, w)
		}
	}
	sortWaits(matched)
	if f.Limit > 0 && len(matched) > f.Limit {
		matched = matched[:f.Limit]
	}
	out := make([]*runbook.Wait, len(matched))
	for i, w := range matched {
		out[i] = copyWait(w)
	}
	return out, nil
}
