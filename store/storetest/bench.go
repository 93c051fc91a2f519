package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

// Benchmark measures the hot paths of a store: committing a batch of
// transitions, claiming tasks among many parked timers, and reading a page
// of history. newStore must return an empty store and close it in a
// b.Cleanup.
func Benchmark(b *testing.B, newStore func(b *testing.B) runbook.Store) {
	b.Run("CommitBatch64", func(b *testing.B) { benchCommitBatch64(b, newStore(b)) })
	b.Run("ClaimTasks", func(b *testing.B) { benchClaimTasks(b, newStore(b)) })
	b.Run("ListHistory", func(b *testing.B) { benchListHistory(b, newStore(b)) })
}

// benchCommitBatch64 commits batches of 64 transitions, each appending two
// events, upserting a step row, putting a task and deleting the previous
// one: what a busy engine's commit loop does.
func benchCommitBatch64(b *testing.B, s runbook.Store) {
	const n = 64
	recs := make([]*runbook.ExecutionRecord, n)
	for i := range recs {
		recs[i] = newExecution(execID(i), "t", "")
	}
	create(b, s, recs...)
	round := 0
	for b.Loop() {
		round++
		txs := make([]*runbook.Transition, n)
		for i, rec := range recs {
			tx := nextTx(rec, 2)
			tx.Steps = []*runbook.StepRecord{{StepID: "step", Status: runbook.StepRunning, Data: []byte(`{"attempt":1}`)}}
			tx.PutTasks = []*runbook.Task{{ExecutionID: rec.ID, Key: fmt.Sprintf("run-%d", round), Kind: runbook.TaskRun,
				StepID: "step", Attempt: 1, DueAt: at(round), Payload: []byte(`{}`)}}
			tx.DeleteTasks = []runbook.TaskRef{{ExecutionID: rec.ID, Key: fmt.Sprintf("run-%d", round-1)}}
			txs[i] = tx
			recs[i] = tx.Execution
		}
		mustCommit(b, s, txs...)
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "transitions/s")
}

// benchClaimTasks claims 16 tasks at a time among 1,000 due tasks and
// 10,000 timers parked in the future. Each claim's lease has expired by the
// next one, so every claim finds work.
func benchClaimTasks(b *testing.B, s runbook.Store) {
	const parked, due = 10_000, 1_000
	var tasks []*runbook.Task
	for i := range parked {
		tasks = append(tasks, &runbook.Task{ExecutionID: execID(1), Key: fmt.Sprintf("timer-%d", i), Kind: runbook.TaskTimer,
			Timer: runbook.TimerApproval, DueAt: at(86400 + i)})
	}
	for i := range due {
		tasks = append(tasks, &runbook.Task{ExecutionID: execID(1), Key: fmt.Sprintf("run-%d", i), Kind: runbook.TaskRun,
			DueAt: at(-i)})
	}
	tx := createTx(newExecution(execID(1), "t", ""))
	tx.PutTasks = tasks
	mustCommit(b, s, tx)
	now := at(0)
	for b.Loop() {
		now = now.Add(2 * time.Microsecond)
		got, err := s.ClaimTasks(b.Context(), "worker", now, now.Add(time.Microsecond), 16)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 16 {
			b.Fatalf("claimed %d tasks, want 16", len(got))
		}
	}
}

// benchListHistory reads pages of 100 events from a history of 1,000.
func benchListHistory(b *testing.B, s runbook.Store) {
	rec := newExecution(execID(1), "t", "")
	rec.Seq = 1000
	mustCommit(b, s, createTx(rec))
	for b.Loop() {
		got, err := s.ListHistory(b.Context(), rec.ID, 500, 100)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 100 {
			b.Fatalf("read %d events, want 100", len(got))
		}
	}
}
