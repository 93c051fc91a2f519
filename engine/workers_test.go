package engine

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"
)

// goroutineID returns the id of the calling goroutine, from its stack
// header ("goroutine 42 [running]:").
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	fields := bytes.Fields(buf)
	if len(fields) < 2 {
		return ""
	}
	return string(fields[1])
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWorkerPoolRunsEveryTask(t *testing.T) {
	t.Parallel()
	p := newWorkerPool(4)
	defer p.close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran := map[int]bool{}
	for i := range 100 {
		wg.Add(1)
		p.run(func() {
			defer wg.Done()
			mu.Lock()
			ran[i] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(ran) != 100 {
		t.Fatalf("%d of 100 tasks ran", len(ran))
	}
}

// TestWorkerPoolReusesIdleWorkers checks what the pool is for: a task
// given while a worker is idle runs on that worker's goroutine, with the
// stack the previous task grew, instead of on a new one.
func TestWorkerPoolReusesIdleWorkers(t *testing.T) {
	t.Parallel()
	p := newWorkerPool(1)
	defer p.close()
	ids := make(chan string, 2)
	p.run(func() { ids <- goroutineID() })
	first := <-ids
	waitFor(t, "the worker to be idle", func() bool { return p.idle.Load() == 1 })
	p.run(func() { ids <- goroutineID() })
	if second := <-ids; second != first {
		t.Fatalf("second task ran on goroutine %s, want the idle worker %s", second, first)
	}
}

// TestWorkerPoolKeepsAtMostMaxIdle checks that workers beyond maxIdle end
// after their task, and that close ends the idle ones.
func TestWorkerPoolKeepsAtMostMaxIdle(t *testing.T) {
	t.Parallel()
	p := newWorkerPool(2)
	release := make(chan struct{})
	var started sync.WaitGroup
	for range 5 {
		started.Add(1)
		p.run(func() {
			started.Done()
			<-release
		})
	}
	started.Wait() // five workers, each blocked in its task
	close(release)
	waitFor(t, "two idle workers", func() bool { return p.idle.Load() == 2 })
	// The other three ended: a task now runs on one of the two idle
	// workers, and the count of idle workers stays at two after it.
	done := make(chan struct{})
	p.run(func() { close(done) })
	<-done
	waitFor(t, "two idle workers again", func() bool { return p.idle.Load() == 2 })
	p.close()
	waitFor(t, "no idle worker after close", func() bool { return p.idle.Load() == 0 })
}
