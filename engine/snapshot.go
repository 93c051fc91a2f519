package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/runbookhq/runbook"
)

// The stored projection of an execution is its execState split in rows: the
// execution row carries the execution-level fields, one step row per step
// and per loop iteration carries that instance. Only rows a transition
// touched are written.

// staticData is what never changes in an execution: written once, in the
// record's Static, so that every later transition rewrites a small row.
type staticData struct {
	Input   any                      `json:"input"`
	Context runbook.ExecutionContext `json:"context"`
}

// fillExecutionRow sets rec to the execution row of s, without its
// documents (Data, Static), which the transition encodes.
func fillExecutionRow(rec *runbook.ExecutionRecord, s *execState) {
	*rec = runbook.ExecutionRecord{
		ID:             s.ID,
		RunbookID:      s.RunbookID,
		RunbookVersion: s.RunbookVersion,
		TenantID:       s.Context.TenantID,
		IdempotencyKey: s.IdempotencyKey,
		ParentID:       s.ParentID,
		Status:         s.Status,
		Seq:            s.Seq,
		CreatedAt:      s.StartTime,
		UpdatedAt:      s.UpdatedAt,
	}
}

// stateFromRecords rebuilds an execState from its stored rows.
func stateFromRecords(rec *runbook.ExecutionRecord, steps []*runbook.StepRecord) (*execState, error) {
	s := &execState{}
	if err := json.Unmarshal(rec.Data, s); err != nil {
		return nil, fmt.Errorf("decode execution %s: %w", rec.ID, err)
	}
	var static staticData
	if err := json.Unmarshal(rec.Static, &static); err != nil {
		return nil, fmt.Errorf("decode input of execution %s: %w", rec.ID, err)
	}
	s.Input, s.Context = static.Input, static.Context
	s.Steps = make(map[string]*stepState, len(steps))
	var iterations []*stepState
	for _, r := range steps {
		ss := &stepState{}
		if err := json.Unmarshal(r.Data, ss); err != nil {
			return nil, fmt.Errorf("decode step %s of execution %s: %w", r.StepID, rec.ID, err)
		}
		if r.Iteration > 0 {
			iterations = append(iterations, ss)
			continue
		}
		s.Steps[ss.StepID] = ss
	}
	for _, it := range iterations {
		loop := s.Steps[it.StepID]
		if loop == nil || loop.Loop == nil {
			return nil, fmt.Errorf("decode execution %s: iteration %d of %s has no loop", rec.ID, it.Iteration, it.StepID)
		}
		l := loop.Loop
		for len(l.Iterations) < it.Iteration {
			l.Iterations = append(l.Iterations, nil)
		}
		l.Iterations[it.Iteration-1] = it
	}
	for id, ss := range s.Steps {
		if ss.Loop == nil {
			continue
		}
		for i, it := range ss.Loop.Iterations {
			if it == nil {
				return nil, fmt.Errorf("decode execution %s: iteration %d of %s is missing", rec.ID, i+1, id)
			}
		}
	}
	return s, nil
}

// readState reads an execution's state from the store: its stored rows,
// onto which it folds the events appended after them (see
// txn.defersRows). The record's Seq is its last event's; the document
// carries its own.
func (e *Engine) readState(ctx context.Context, id string) (*execState, error) {
	rec, steps, err := e.store.GetExecution(ctx, id)
	if err != nil {
		return nil, err
	}
	s, err := stateFromRecords(rec, steps)
	if err != nil {
		return nil, err
	}
	s.ID = id
	s.rowsSeq = s.Seq
	if rec.Seq == s.Seq {
		return s, nil
	}
	tail, err := e.store.ListHistory(ctx, id, s.Seq, 0)
	if err != nil {
		return nil, fmt.Errorf("read history of execution %s: %w", id, err)
	}
	for i := range tail {
		ev := &tail[i]
		if err := apply(s, ev); err != nil {
			return nil, fmt.Errorf("fold history of execution %s: %w", id, err)
		}
		if ev.StepID != "" {
			s.markDirty(stepKey{ev.StepID, ev.Iteration})
		}
	}
	return s, nil
}

// replay folds a whole history into a new execState: the definition of what
// the stored snapshot must equal.
func replay(id string, history []runbook.Event) (*execState, error) {
	s := &execState{ID: id, Steps: map[string]*stepState{}}
	for i := range history {
		if err := apply(s, &history[i]); err != nil {
			return nil, err
		}
	}
	return s, nil
}
