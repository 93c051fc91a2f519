package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/runbookhq/runbook/executor/builtin"
	"github.com/runbookhq/runbook/expr"
	"github.com/runbookhq/runbook/store/memory"
)

// TestInterruptSparesTheNextAttempt checks that interrupting an attempt
// that has ended does not cancel the next attempt of the same step, which
// a retry due at once may have started before the interruption ran (it
// runs after the commit, without the execution's lock).
func TestInterruptSparesTheNextAttempt(t *testing.T) {
	t.Parallel()
	ev, err := expr.NewEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{Store: memory.New(), Executors: builtin.Registry(ev, builtin.Options{}), Evaluator: ev})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	k := stepKey{step: "call"}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	a := e.actors.acquire("x")
	a.inflight[k] = &inflightAttempt{cancel: cancel, attempt: 2}
	a.count.Add(1)
	e.actors.release("x", a)

	e.interrupt("x", []attemptRef{{key: k, attempt: 1}})
	if ctx.Err() != nil {
		t.Fatal("interrupting attempt 1 cancelled attempt 2")
	}
	e.interrupt("x", []attemptRef{{key: k, attempt: 2}})
	if !errors.Is(context.Cause(ctx), errInterrupted) {
		t.Fatalf("attempt 2 was not interrupted: %v", context.Cause(ctx))
	}
}
