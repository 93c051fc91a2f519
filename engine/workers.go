package engine

import "sync/atomic"

// maxIdleWorkers bounds the engine's idle workers: 128 stacks of a few
// tens of KB at most.
const maxIdleWorkers = 128

// workerPool runs the engine's tasks on goroutines that outlive them.
//
// A goroutine starts with a small stack, and an attempt's call path (the
// executor, the HTTP client, the transition that records the outcome)
// needs several times more: a goroutine started for each step grows its
// stack, copying it, three or four times before the step ends. That was
// 3–4 % of the process's CPU in the w10 benchmark on SQLite. A worker
// that has run a task keeps its grown stack for the next one.
//
// A task goes to an idle worker when there is one, else to a new worker.
// At most maxIdle workers wait for work; the others end after their task.
// Idle workers end when the pool is closed.
type workerPool struct {
	work    chan func()
	quit    chan struct{}
	idle    atomic.Int64
	maxIdle int64
}

func newWorkerPool(maxIdle int) *workerPool {
	return &workerPool{work: make(chan func()), quit: make(chan struct{}), maxIdle: int64(maxIdle)}
}

// run runs task on a worker goroutine and returns without waiting for it.
func (p *workerPool) run(task func()) {
	select {
	case p.work <- task: // an idle worker took it
	default:
		go p.worker(task)
	}
}

func (p *workerPool) worker(task func()) {
	for {
		task()
		if p.idle.Add(1) > p.maxIdle {
			p.idle.Add(-1)
			return
		}
		select {
		case task = <-p.work:
			p.idle.Add(-1)
		case <-p.quit:
			p.idle.Add(-1)
			return
		}
	}
}

// close ends the idle workers; workers running a task end after it.
func (p *workerPool) close() { close(p.quit) }
