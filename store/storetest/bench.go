package storetest

import (
	"bytes"
	"encoding/json"
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
	b.Run("CommitW10", func(b *testing.B) { benchCommitW10(b, newStore(b)) })
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

// benchCommitW10 commits what the engine writes for the w10 workload of
// runbook bench: 50 executions in flight, each a chain of 10 steps, in
// batches of 10 transitions. A transition completes a step and starts the
// next (two events, two step rows, the execution row); an execution that
// ends is replaced by a new one. The rows have the sizes the engine writes.
func benchCommitW10(b *testing.B, s runbook.Store) {
	const inFlight, batch, steps = 50, 10, 10
	execData := bytes.Repeat([]byte("x"), 450)
	stepData := bytes.Repeat([]byte("s"), 150)
	static := bytes.Repeat([]byte("c"), 170)
	output := map[string]any{"ok": true}
	type flight struct {
		rec  *runbook.ExecutionRecord
		step int
	}
	next := 0
	start := func() *flight {
		next++
		rec := newExecution(execID(next), "t", "")
		rec.Data, rec.Static = execData, static
		return &flight{rec: rec}
	}
	flights := make([]*flight, inFlight)
	for i := range flights {
		flights[i] = start()
		tx := createTx(flights[i].rec)
		tx.Steps = []*runbook.StepRecord{{ExecutionID: flights[i].rec.ID, StepID: "s1", Status: runbook.StepRunning, Data: stepData}}
		mustCommit(b, s, tx)
	}
	cursor := 0
	for b.Loop() {
		txs := make([]*runbook.Transition, 0, batch)
		for range batch {
			f := flights[cursor%inFlight]
			cursor++
			if f.step == steps {
				f = start()
				flights[(cursor-1)%inFlight] = f
				tx := createTx(f.rec)
				tx.Steps = []*runbook.StepRecord{{ExecutionID: f.rec.ID, StepID: "s1", Status: runbook.StepRunning, Data: stepData}}
				encodeEvents(b, tx)
				txs = append(txs, tx)
				continue
			}
			f.step++
			tx := nextTx(f.rec, 2)
			tx.Execution.Data = execData
			tx.Events[0].Output = output
			tx.Events[1].Type, tx.Events[1].Output = runbook.EventStepStarted, nil
			tx.Steps = []*runbook.StepRecord{
				{ExecutionID: f.rec.ID, StepID: fmt.Sprintf("s%d", f.step), Status: runbook.StepCompleted, Data: stepData},
				{ExecutionID: f.rec.ID, StepID: fmt.Sprintf("s%d", f.step+1), Status: runbook.StepRunning, Data: stepData},
			}
			if f.step == steps {
				tx.Execution.Status = runbook.ExecutionCompleted
				tx.Steps = tx.Steps[:1]
			}
			f.rec = tx.Execution
			encodeEvents(b, tx)
			txs = append(txs, tx)
		}
		mustCommit(b, s, txs...)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "transitions/s")
}

// encodeEvents sets the transition's EncodedEvents, as the engine does.
func encodeEvents(tb testing.TB, tx *runbook.Transition) {
	tx.EncodedEvents = tx.EncodedEvents[:0]
	for i := range tx.Events {
		b, err := json.Marshal(&tx.Events[i])
		if err != nil {
			tb.Fatal(err)
		}
		tx.EncodedEvents = append(tx.EncodedEvents, b)
	}
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
