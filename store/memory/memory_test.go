package memory_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/memory"
	"github.com/runbookhq/runbook/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newStore(tb testing.TB) runbook.Store {
	s := memory.New()
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) runbook.Store { return newStore(t) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) runbook.Store { return newStore(b) })
}
