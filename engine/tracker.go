package engine

import (
	"sync"
	"time"
)

// tracker counts the goroutines running tasks so that Close can wait for
// them, and refuses new ones once closing has begun.
type tracker struct {
	mu      sync.Mutex
	n       int
	closing bool
	idle    chan struct{} // closed when n drops to 0 while closing
}

// begin registers a goroutine; false means the engine is closing.
func (tr *tracker) begin() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.closing {
		return false
	}
	tr.n++
	return true
}

func (tr *tracker) end() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.n--
	if tr.n == 0 && tr.closing && tr.idle != nil {
		close(tr.idle)
		tr.idle = nil
	}
}

// close stops new goroutines and waits up to grace for the running ones;
// it reports whether they all ended.
func (tr *tracker) close(grace time.Duration) bool {
	tr.mu.Lock()
	tr.closing = true
	if tr.n == 0 {
		tr.mu.Unlock()
		return true
	}
	idle := make(chan struct{})
	tr.idle = idle
	tr.mu.Unlock()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-idle:
		return true
	case <-timer.C:
		return false
	}
}

// wait blocks until every goroutine ended (after close).
func (tr *tracker) wait() {
	tr.mu.Lock()
	if tr.n == 0 {
		tr.mu.Unlock()
		return
	}
	idle := tr.idle
	if idle == nil {
		idle = make(chan struct{})
		tr.idle = idle
	}
	tr.mu.Unlock()
	<-idle
}
