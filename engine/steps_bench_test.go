package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/executor/builtin"
	"github.com/runbookhq/runbook/expr"
	"github.com/runbookhq/runbook/spec"
	"github.com/runbookhq/runbook/store/memory"
)

// instant completes every call-service attempt at once, without I/O, so
// that the benchmark measures the engine alone.
type instant struct{}

func (instant) Execute(context.Context, *runbook.StepRequest) *runbook.Outcome {
	return &runbook.Outcome{Output: map[string]any{"ok": true}}
}

// BenchmarkEngineSteps runs executions of ten sequential steps whose
// executor returns at once, 50 at a time, on the memory store: the engine's
// own cost per step (transition, commit, dispatch), reported as ns/step.
func BenchmarkEngineSteps(b *testing.B) {
	ev, err := expr.NewEvaluator()
	if err != nil {
		b.Fatal(err)
	}
	reg := builtin.Registry(ev, builtin.Options{})
	reg[runbook.StepCallService] = instant{}
	e, err := engine.New(engine.Config{Store: memory.New(), Executors: reg, Evaluator: ev})
	if err != nil {
		b.Fatal(err)
	}
	e.Start()
	defer e.Close()
	var sb strings.Builder
	sb.WriteString("id: ten\nversion: \"1\"\nsteps:\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&sb, "  - {id: s%d, type: call-service, config: {url: \"http://127.0.0.1:9/x\", method: GET}", i)
		if i > 1 {
			fmt.Fprintf(&sb, ", dependsOn: [s%d]", i-1)
		}
		sb.WriteString("}\n")
	}
	rb, err := spec.Parse([]byte(sb.String()), spec.FormatYAML)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := e.PutRunbook(ctx, rb); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	work := make(chan struct{})
	for w := 0; w < 50; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				id, _, err := e.StartExecution(ctx, engine.StartRequest{RunbookID: "ten"})
				if err != nil {
					b.Error(err)
					return
				}
				events, err := e.Watch(ctx, id, 0)
				if err != nil {
					b.Error(err)
					return
				}
				for range events {
				}
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10), "ns/step")
}
