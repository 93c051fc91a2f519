package engine

import (
	"context"
	"encoding/json"
	"fmt"
)

// CheckFold verifies that folding the execution's whole history gives the
// state stored as its snapshot: the projection is the history materialised.
func CheckFold(ctx context.Context, e *Engine, id string) error {
	history, err := e.store.ListHistory(ctx, id, 0, 0)
	if err != nil {
		return err
	}
	folded, err := replay(id, history)
	if err != nil {
		return fmt.Errorf("replay history: %w", err)
	}
	stored, _, err := e.snapshot(ctx, id)
	if err != nil {
		return err
	}
	a, _ := json.Marshal(stateDump(folded))
	b, _ := json.Marshal(stateDump(stored))
	if string(a) != string(b) {
		return fmt.Errorf("history and snapshot differ:\nhistory:  %s\nsnapshot: %s", a, b)
	}
	return nil
}

func stateDump(s *execState) map[string]any {
	steps := map[string]any{}
	for id, ss := range s.Steps {
		entry := map[string]any{"step": ss}
		if ss.Loop != nil {
			entry["iterations"] = ss.Loop.Iterations
		}
		steps[id] = entry
	}
	return map[string]any{"execution": s, "input": s.Input, "context": s.Context, "steps": steps}
}

// LiveActors returns how many executions this engine holds in memory.
func LiveActors(e *Engine) int { return e.actors.size() }

// Closing reports whether Close has begun.
func Closing(e *Engine) bool { return e.closing.Load() }

// NopObserver observes nothing: a base for test observers that count one
// thing.
var NopObserver Observer = nopObserver{}
