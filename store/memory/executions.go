package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
)

// execution is what the store keeps of one execution. history[i] has Seq
// i+1: contract.CheckTransition keeps histories gap-free.
type execution struct {
	rec     *runbook.ExecutionRecord
	steps   []*runbook.StepRecord // sorted by step id, then iteration
	history [][]byte              // each event as JSON: compact, and immune to callers' changes
}

// putStep inserts or replaces a step row, keeping ex.steps sorted: a
// slice costs less memory than a map for the few rows of an execution.
func (ex *execution) putStep(st *runbook.StepRecord) {
	i, found := slices.BinarySearchFunc(ex.steps, st, func(a, b *runbook.StepRecord) int {
		if c := strings.Compare(a.StepID, b.StepID); c != 0 {
			return c
		}
		return a.Iteration - b.Iteration
	})
	if found {
		ex.steps[i] = st
		return
	}
	ex.steps = slices.Insert(ex.steps, i, st)
}

type tenantKey struct {
	tenantID string
	key      string
}

// DefersRows reports that the store accepts Transition.DeferRows.
func (s *Store) DefersRows() bool { return true }

// Commit applies transitions in order, each one all-or-nothing.
func (s *Store) Commit(ctx context.Context, txs []*runbook.Transition) ([]runbook.CommitResult, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	results := make([]runbook.CommitResult, len(txs))
	for i, t := range txs {
		results[i] = s.apply(t)
	}
	return results, nil
}

// apply applies one transition; s.mu is held.
func (s *Store) apply(t *runbook.Transition) runbook.CommitResult {
	if err := contract.CheckTransition(t); err != nil {
		return runbook.CommitResult{Err: err}
	}
	encoded, err := encodeEvents(t)
	if err != nil {
		return runbook.CommitResult{Err: err}
	}
	rec := copyExecution(t.Execution)
	var ex *execution
	if t.Create {
		if _, ok := s.executions[rec.ID]; ok {
			return runbook.CommitResult{Err: contract.ErrExecutionExists(rec.ID)}
		}
		tk := tenantKey{rec.TenantID, rec.IdempotencyKey}
		if rec.IdempotencyKey != "" {
			if other, ok := s.keys[tk]; ok {
				return runbook.CommitResult{Err: contract.ErrKeyTaken(rec.TenantID, rec.IdempotencyKey, other)}
			}
			s.keys[tk] = rec.ID
		}
		ex = &execution{rec: rec}
		s.executions[rec.ID] = ex
		s.insertID(rec.ID)
	} else {
		ex = s.executions[rec.ID]
		switch {
		case ex == nil:
			return runbook.CommitResult{Err: contract.ErrExecutionNotFound(rec.ID)}
		case ex.rec.Seq != t.ExpectedSeq:
			return runbook.CommitResult{Err: contract.ErrStale(rec.ID, t.ExpectedSeq, ex.rec.Seq)}
		case ex.rec.TenantID != rec.TenantID || ex.rec.IdempotencyKey != rec.IdempotencyKey:
			return runbook.CommitResult{Err: contract.ErrIdentityChanged(rec.ID)}
		case t.DeferRows && ex.rec.Status != rec.Status:
			return runbook.CommitResult{Err: contract.ErrDeferredStatus(rec.ID, ex.rec.Status, rec.Status)}
		}
		// Only the mutable columns change after creation; DeferRows keeps
		// the stored document.
		stored := *ex.rec
		stored.Status, stored.Seq, stored.UpdatedAt = rec.Status, rec.Seq, rec.UpdatedAt
		if !t.DeferRows {
			stored.Data = rec.Data
		}
		ex.rec = &stored
		rec = ex.rec
	}

	if t.ClearAll {
		s.tasks.deleteExecution(rec.ID)
		s.waits.deleteExecution(rec.ID)
	}
	for _, ref := range t.DeleteTasks {
		s.tasks.delete(ref)
	}
	for _, ref := range t.DeleteWaits {
		s.waits.delete(ref)
	}
	for i := range t.Events {
		ex.history = append(ex.history, encoded[i])
	}
	for _, st := range t.Steps {
		c := copyStep(st)
		c.ExecutionID = rec.ID
		ex.putStep(c)
	}
	for _, tk := range t.PutTasks {
		s.tasks.put(copyTask(tk))
	}
	for _, w := range t.PutWaits {
		s.waits.put(copyWait(w))
	}
	var res runbook.CommitResult
	if len(t.MatchInbox) > 0 {
		res.Inbox = make([][]*runbook.InboxEvent, len(t.MatchInbox))
		for i, q := range t.MatchInbox {
			res.Inbox[i] = s.inbox.match(q)
		}
	}
	return res
}

// insertID adds id to the sorted id list. Ids are UUIDv7, so this is
// nearly always an append.
func (s *Store) insertID(id string) {
	n := len(s.ids)
	if n == 0 || s.ids[n-1] < id {
		s.ids = append(s.ids, id)
		return
	}
	i := sort.SearchStrings(s.ids, id)
	s.ids = append(s.ids, "")
	copy(s.ids[i+1:], s.ids[i:])
	s.ids[i] = id
}

// GetExecution returns an execution's row and its step rows ordered by
// step id then iteration.
func (s *Store) GetExecution(ctx context.Context, id string) (*runbook.ExecutionRecord, []*runbook.StepRecord, error) {
	if err := s.lock(ctx); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	ex := s.executions[id]
	if ex == nil {
		return nil, nil, contract.ErrExecutionNotFound(id)
	}
	steps := make([]*runbook.StepRecord, len(ex.steps))
	for i, st := range ex.steps {
		steps[i] = copyStep(st)
	}
	return copyExecution(ex.rec), steps, nil
}

// FindExecutionByKey returns the id of the execution started with key in
// the tenant.
func (s *Store) FindExecutionByKey(ctx context.Context, tenantID, key string) (string, error) {
	if err := s.lock(ctx); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	if key != "" {
		if id, ok := s.keys[tenantKey{tenantID, key}]; ok {
			return id, nil
		}
	}
	return "", contract.ErrKeyNotFound(tenantID, key)
}

// ListExecutions returns executions newest first (by descending id).
func (s *Store) ListExecutions(ctx context.Context, f runbook.ExecutionFilter) ([]*runbook.ExecutionRecord, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	limit := f.Limit
	if limit <= 0 {
		limit = contract.DefaultListLimit
	}
	end := len(s.ids)
	if f.Cursor != "" {
		end = sort.SearchStrings(s.ids, f.Cursor)
	}
	var out []*runbook.ExecutionRecord
	for i := end - 1; i >= 0 && len(out) < limit; i-- {
		rec := s.executions[s.ids[i]].rec
		if (f.RunbookID != "" && rec.RunbookID != f.RunbookID) ||
			(f.Status != "" && rec.Status != f.Status) ||
			(f.TenantID != "" && rec.TenantID != f.TenantID) {
			continue
		}
		out = append(out, copyExecution(rec))
	}
	return out, nil
}

// ListHistory returns the events of an execution with Seq > afterSeq, at
// most limit of them (0: all).
func (s *Store) ListHistory(ctx context.Context, id string, afterSeq int64, limit int) ([]runbook.Event, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	ex := s.executions[id]
	if ex == nil {
		return nil, contract.ErrExecutionNotFound(id)
	}
	start := max(afterSeq, 0)
	if start >= int64(len(ex.history)) {
		return []runbook.Event{}, nil
	}
	events := ex.history[start:]
	if limit > 0 && limit < len(events) {
		events = events[:limit]
	}
	out := make([]runbook.Event, len(events))
	for i := range events {
		if err := json.Unmarshal(events[i], &out[i]); err != nil {
			return nil, fmt.Errorf("decode event %d of execution %s: %w", start+int64(i)+1, id, err)
		}
	}
	return out, nil
}

// encodeEvents returns the transition's events as JSON, copying the
// caller's encoding when it gave one; an event that cannot be encoded
// refuses the transition.
func encodeEvents(t *runbook.Transition) ([][]byte, error) {
	out := make([][]byte, len(t.Events))
	for i := range t.Events {
		if len(t.EncodedEvents) == len(t.Events) {
			out[i] = copyBytes(t.EncodedEvents[i])
			continue
		}
		b, err := json.Marshal(&t.Events[i])
		if err != nil {
			return nil, &runbook.Error{Code: runbook.EINVALID, Err: err,
				Message: fmt.Sprintf("execution %q: event %d cannot be stored as JSON", t.Execution.ID, t.Events[i].Seq)}
		}
		out[i] = b
	}
	return out, nil
}
