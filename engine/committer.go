package engine

import (
	"context"
	"log/slog"
	"runtime"
	"time"

	"github.com/runbookhq/runbook"
)

// committer groups the transitions of many executions into one store
// transaction (group commit): a transition waits while the previous batch
// is being written, and every transition that arrived meanwhile goes into
// the next one. One fsync then acknowledges many executions' progress.
// With a store that can (runbook.PipelinedCommitter), the next batch is
// written while the previous one is flushed to disk; requests are
// answered only once their batch is durable.
type committer struct {
	store  runbook.Store
	max    int
	direct bool // commit from the caller's goroutine, without batching
	log    *slog.Logger
	reqs   chan *commitReq
	quit   chan struct{}
	// stopped is closed when run has returned: a request queued after that
	// is never written.
	stopped chan struct{}
}

type commitReq struct {
	txs     []*runbook.Transition
	results []runbook.CommitResult
	err     error
	done    chan struct{}
}

func newCommitter(store runbook.Store, max int, direct bool, log *slog.Logger) *committer {
	return &committer{store: store, max: max, direct: direct, log: log, reqs: make(chan *commitReq, 4096), quit: make(chan struct{}), stopped: make(chan struct{})}
}

// commit writes txs atomically as a group of the next batch and returns
// their results.
func (c *committer) commit(ctx context.Context, txs ...*runbook.Transition) ([]runbook.CommitResult, error) {
	if c.direct {
		select {
		case <-c.quit:
			return nil, errShuttingDown
		default:
		}
		return c.store.Commit(ctx, txs)
	}
	req := &commitReq{txs: txs, done: make(chan struct{})}
	select {
	case c.reqs <- req:
	case <-c.quit:
		return nil, errShuttingDown
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued, the request is written whatever ctx says: the caller
	// must learn the outcome to keep its cached state right.
	select {
	case <-req.done:
	case <-c.stopped:
		select {
		case <-req.done:
		default:
			return nil, errShuttingDown
		}
	}
	return req.results, req.err
}

func (c *committer) stop() { close(c.quit) }

func (c *committer) run() {
	defer close(c.stopped)
	pipelined, _ := c.store.(runbook.PipelinedCommitter)
	var acks chan *pendingBatch
	if pipelined != nil {
		// The batch written last waits for the disk here while the next
		// one is written; a flush then covers both.
		acks = make(chan *pendingBatch, 2)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for p := range acks {
				p.finish(c.log)
			}
		}()
		defer func() { close(acks); <-done }()
	}
	for {
		var first *commitReq
		select {
		case first = <-c.reqs:
		case <-c.quit:
			c.drain()
			return
		}
		batch := []*commitReq{first}
		n := len(first.txs)
	fill:
		for n < c.max {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
				n += len(r.txs)
			default:
				break fill
			}
		}
		txs := make([]*runbook.Transition, 0, n)
		for _, r := range batch {
			txs = append(txs, r.txs...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		p := &pendingBatch{batch: batch, txs: len(txs), cancel: cancel}
		if pipelined != nil {
			p.wait = pipelined.CommitPipelined(ctx, txs)
			if len(c.reqs) == 0 && len(acks) == 0 {
				// Nothing to write meanwhile: wait for the disk here
				// rather than wake another goroutine to do it.
				p.finish(c.log)
				// The requests just answered were readied on this
				// goroutine's processor; let them run (and send their
				// next steps) instead of waiting behind the next batch.
				runtime.Gosched()
				continue
			}
			acks <- p
			continue
		}
		results, err := c.store.Commit(ctx, txs)
		p.wait = func() ([]runbook.CommitResult, error) { return results, err }
		p.finish(c.log)
		runtime.Gosched() // as above
	}
}

// pendingBatch is a batch written to the store whose outcome its requests
// wait for.
type pendingBatch struct {
	batch  []*commitReq
	txs    int
	wait   func() ([]runbook.CommitResult, error)
	cancel context.CancelFunc
}

// finish waits for the batch to be durable and hands each request its
// results.
func (p *pendingBatch) finish(log *slog.Logger) {
	results, err := p.wait()
	p.cancel()
	if err != nil {
		log.Error("commit batch failed", "transitions", p.txs, "err", err)
	}
	i := 0
	for _, r := range p.batch {
		if err != nil {
			r.err = err
		} else {
			r.results = results[i : i+len(r.txs)]
		}
		i += len(r.txs)
		close(r.done)
	}
}

// drain fails requests still queued at shutdown.
func (c *committer) drain() {
	for {
		select {
		case r := <-c.reqs:
			r.err = errShuttingDown
			close(r.done)
		default:
			return
		}
	}
}
