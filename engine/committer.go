package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/runbookhq/runbook"
)

// committer groups the transitions of many executions into one store
// transaction (group commit): a transition waits while the previous batch
// is being written, and every transition that arrived meanwhile goes into
// the next one. One fsync then acknowledges many executions' progress.
type committer struct {
	store runbook.Store
	max   int
	log   *slog.Logger
	reqs  chan *commitReq
	quit  chan struct{}
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

func newCommitter(store runbook.Store, max int, log *slog.Logger) *committer {
	return &committer{store: store, max: max, log: log, reqs: make(chan *commitReq, 4096), quit: make(chan struct{}), stopped: make(chan struct{})}
}

// commit writes txs atomically as a group of the next batch and returns
// their results.
func (c *committer) commit(ctx context.Context, txs ...*runbook.Transition) ([]runbook.CommitResult, error) {
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
	batch := make([]*commitReq, 0, c.max)
	txs := make([]*runbook.Transition, 0, c.max)
	for {
		var first *commitReq
		select {
		case first = <-c.reqs:
		case <-c.quit:
			c.drain()
			return
		}
		batch = append(batch[:0], first)
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
		txs = txs[:0]
		for _, r := range batch {
			txs = append(txs, r.txs...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		results, err := c.store.Commit(ctx, txs)
		cancel()
		if err != nil {
			c.log.Error("commit batch failed", "transitions", len(txs), "err", err)
		}
		i := 0
		for _, r := range batch {
			if err != nil {
				r.err = err
			} else {
				r.results = results[i : i+len(r.txs)]
			}
			i += len(r.txs)
			close(r.done)
		}
		clear(txs)
		clear(batch)
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
