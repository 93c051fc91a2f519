package engine

import (
	"context"
	"fmt"

	"github.com/runbookhq/runbook"
)

// recoverAttempts runs again every attempt that was in flight when the
// previous process stopped, on a store only this process uses (where
// attempts in flight have no task rows, see Config.ExclusiveStore). It
// reads the executions that have not ended and dispatches a run task for
// each instance still running, marked as a redelivery.
func (e *Engine) recoverAttempts(ctx context.Context) error {
	recovered := 0
	for _, status := range []runbook.ExecutionStatus{runbook.ExecutionRunning, runbook.ExecutionPaused,
		runbook.ExecutionAwaitingApproval, runbook.ExecutionAwaitingEvent, runbook.ExecutionPending} {
		cursor := ""
		for {
			page, err := e.store.ListExecutions(ctx, runbook.ExecutionFilter{Status: status, Cursor: cursor, Limit: 500})
			if err != nil {
				return fmt.Errorf("list %s executions: %w", status, err)
			}
			for _, rec := range page {
				n, err := e.recoverExecution(ctx, rec.ID)
				if err != nil {
					return err
				}
				recovered += n
			}
			if len(page) < 500 {
				break
			}
			cursor = page[len(page)-1].ID
		}
	}
	if recovered > 0 {
		e.log.Info("attempts interrupted by the previous stop run again", "attempts", recovered)
	}
	return nil
}

func (e *Engine) recoverExecution(ctx context.Context, id string) (int, error) {
	st, p, err := e.snapshot(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("recover execution %s: %w", id, err)
	}
	n := 0
	redeliver := func(k stepKey, ss *stepState) {
		if ss.Status != runbook.StepRunning || ss.ChildID != "" || ss.Loop != nil {
			return
		}
		def := p.stepDef(k)
		if def == nil {
			return
		}
		if _, inline := e.cfg.Executors[def.Type].(runbook.InlineExecutor); inline {
			return
		}
		e.dispatch(&runbook.Task{ExecutionID: id, Key: taskKey("run", k), Kind: runbook.TaskRun, StepID: k.step,
			Iteration: k.iter, Attempt: ss.Attempt, Owner: e.node, Deliveries: 2}, false, nil)
		n++
	}
	for stepID, ss := range st.Steps {
		redeliver(stepKey{stepID, 0}, ss)
		if ss.Loop != nil {
			for _, it := range ss.Loop.Iterations {
				redeliver(stepKey{stepID, it.Iteration}, it)
			}
		}
	}
	return n, nil
}
