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

// execution is what the store keeps of one execution.
type execution struct {
	rec   *runbook.ExecutionRecord
	steps []*runbook.StepRecord // sorted by step id, then iteration
	// history holds the events as JSON, one after the other: compact,
	// immune to callers' changes, and a few objects per execution rather
	// than one per event for the garbage collector to track.
	history eventLog
}

// eventLog is an execution's events as JSON, packed into a few chunks
// that are filled and never copied (growing one buffer would copy it at
// every doubling). Event i (Seq i+1) ends at ends[i] in its chunk and
// starts where event i-1 ended, or at 0 when i-1 is in another chunk:
// contract.CheckTransition keeps histories gap-free.
type eventLog struct {
	chunks [][]byte
	ends   []logPos
}

// logPos is where an event ends: its chunk and its end offset in it.
type logPos struct{ chunk, end int32 }

// Chunk sizes: the first holds a short history (a parked execution's
// few events) without waste; later ones double up to the largest.
const (
	firstChunkBytes = 1 << 10
	maxChunkBytes   = 16 << 10
)

func (l *eventLog) len() int { return len(l.ends) }

func (l *eventLog) append(doc []byte) {
	n := len(l.chunks)
	if n == 0 || cap(l.chunks[n-1])-len(l.chunks[n-1]) < len(doc) {
		size := firstChunkBytes
		if n > 0 {
			size = min(2*cap(l.chunks[n-1]), maxChunkBytes)
		}
		l.chunks = append(l.chunks, make([]byte, 0, max(size, len(doc))))
		n++
	}
	c := append(l.chunks[n-1], doc...)
	l.chunks[n-1] = c
	l.ends = append(l.ends, logPos{chunk: int32(n - 1), end: int32(len(c))})
}

// event returns the i-th event (Seq i+1); the caller must not change it.
func (l *eventLog) event(i int) []byte {
	p := l.ends[i]
	start := int32(0)
	if i > 0 && l.ends[i-1].chunk == p.chunk {
		start = l.ends[i-1].end
	}
	return l.chunks[p.chunk][start:p.end]
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
	var (
		ex  *execution
		rec *runbook.ExecutionRecord
	)
	if t.Create {
		rec = copyExecution(t.Execution)
		if _, ok := s.executions[rec.ID]; ok {
			return runbook.CommitResult{Err: contract.ErrExecutionExists(rec.ID)}
		}
		if n := len(s.runbooks[rec.RunbookID]); t.RunbookVersions > 0 && n != t.RunbookVersions {
			return runbook.CommitResult{Err: contract.ErrRunbookChanged(rec.ID, rec.RunbookID, t.RunbookVersions, n)}
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
		in := t.Execution
		ex = s.executions[in.ID]
		switch {
		case ex == nil:
			return runbook.CommitResult{Err: contract.ErrExecutionNotFound(in.ID)}
		case ex.rec.Seq != t.ExpectedSeq:
			return runbook.CommitResult{Err: contract.ErrStale(in.ID, t.ExpectedSeq, ex.rec.Seq)}
		case ex.rec.TenantID != in.TenantID || ex.rec.IdempotencyKey != in.IdempotencyKey:
			return runbook.CommitResult{Err: contract.ErrIdentityChanged(in.ID)}
		case t.DeferRows && ex.rec.Status != in.Status:
			return runbook.CommitResult{Err: contract.ErrDeferredStatus(in.ID, ex.rec.Status, in.Status)}
		}
		// Only the mutable columns change after creation; DeferRows keeps
		// the stored document. Readers copy the row under the lock, so it
		// changes in place.
		rec = ex.rec
		rec.Status, rec.Seq, rec.UpdatedAt = in.Status, in.Seq, utc(in.UpdatedAt)
		if !t.DeferRows {
			rec.Data = copyBytes(in.Data)
		}
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
	for _, doc := range encoded {
		ex.history.append(doc)
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
	start := int(min(max(afterSeq, 0), int64(ex.history.len())))
	n := ex.history.len() - start
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([]runbook.Event, n)
	for i := range out {
		if err := json.Unmarshal(ex.history.event(start+i), &out[i]); err != nil {
			return nil, fmt.Errorf("decode event %d of execution %s: %w", start+i+1, id, err)
		}
	}
	return out, nil
}

// encodeEvents returns the transition's events as JSON: the caller's
// encoding when it gave one (the history copies it), else its own. An
// event that cannot be encoded refuses the transition.
func encodeEvents(t *runbook.Transition) ([][]byte, error) {
	if len(t.EncodedEvents) == len(t.Events) {
		return t.EncodedEvents, nil
	}
	out := make([][]byte, len(t.Events))
	for i := range t.Events {
		b, err := json.Marshal(&t.Events[i])
		if err != nil {
			return nil, &runbook.Error{Code: runbook.EINVALID, Err: err,
				Message: fmt.Sprintf("execution %q: event %d cannot be stored as JSON", t.Execution.ID, t.Events[i].Seq)}
		}
		out[i] = b
	}
	return out, nil
}
