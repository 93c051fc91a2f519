package engine

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/runbookhq/runbook"
)

// watchHub fans committed events out to the watchers of each execution on
// this node.
type watchHub struct {
	mu   sync.Mutex
	subs map[string]map[*watcher]struct{}
}

type watcher struct {
	// ch carries pointers into committed transitions' events, which are
	// never changed after the commit.
	ch     chan *runbook.Event
	closed bool
}

func newWatchHub() *watchHub { return &watchHub{subs: map[string]map[*watcher]struct{}{}} }

func (h *watchHub) add(id string) *watcher {
	w := &watcher{ch: make(chan *runbook.Event, 64)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[id] == nil {
		h.subs[id] = map[*watcher]struct{}{}
	}
	h.subs[id][w] = struct{}{}
	return w
}

func (h *watchHub) remove(id string, w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(id, w)
}

// drop closes a watcher; h.mu must be held.
func (h *watchHub) drop(id string, w *watcher) {
	if w.closed {
		return
	}
	w.closed = true
	close(w.ch)
	delete(h.subs[id], w)
	if len(h.subs[id]) == 0 {
		delete(h.subs, id)
	}
}

// publish sends events to the execution's watchers. A watcher too slow to
// keep up is closed; it can watch again from the last event it saw.
func (h *watchHub) publish(id string, events []runbook.Event) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.subs[id]
	if len(subs) == 0 {
		return
	}
	// The events belong to a transition that is recycled once published;
	// watchers read them later, so they get a copy.
	events = slices.Clone(events)
	for w := range subs {
		for i := range events {
			select {
			case w.ch <- &events[i]:
			default:
				h.drop(id, w)
			}
			if w.closed {
				break
			}
		}
	}
}

func (h *watchHub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, ws := range h.subs {
		for w := range ws {
			h.drop(id, w)
		}
	}
}

// Watch returns the execution's events after afterSeq: first those already
// in its history, then new ones as they are committed. Events committed on
// this node arrive at once; on a shared store, those committed by other
// processes are read from the history every WatchPollInterval, and a gap
// before an event committed here is filled from the history, so that the
// events always come in order and without holes. The channel closes when
// ctx ends, when the execution has ended and its last event was sent,
// when the engine closes, or when the reader falls too far behind (watch
// again from the last seq seen).
func (e *Engine) Watch(ctx context.Context, id string, afterSeq int64) (<-chan runbook.Event, error) {
	w := e.watchers.add(id)
	past, err := e.store.ListHistory(ctx, id, afterSeq, 0)
	if err != nil {
		e.watchers.remove(id, w)
		return nil, err
	}
	out := make(chan runbook.Event, 4)
	go func() {
		defer close(out)
		defer e.watchers.remove(id, w)
		last := afterSeq
		send := func(ev runbook.Event) bool {
			if ev.Seq <= last {
				return true
			}
			last = ev.Seq
			select {
			case out <- ev:
			case <-ctx.Done():
				return false
			}
			return !endsExecution(ev.Type)
		}
		// catchUp sends what the history holds after the last event sent.
		catchUp := func() bool {
			events, err := e.store.ListHistory(ctx, id, last, 0)
			if err != nil {
				if ctx.Err() == nil {
					e.log.Warn("watch: read history", "execution", id, "err", err)
				}
				return ctx.Err() == nil
			}
			for _, ev := range events {
				if !send(ev) {
					return false
				}
			}
			return true
		}
		for _, ev := range past {
			if !send(ev) {
				return
			}
		}
		var poll runbook.Timer
		pollC := func() <-chan time.Time {
			if poll == nil {
				return nil
			}
			return poll.C()
		}
		if !e.cfg.ExclusiveStore {
			poll = e.clock.NewTimer(e.cfg.WatchPollInterval)
			defer func() { poll.Stop() }()
		}
		for {
			select {
			case ev, ok := <-w.ch:
				if !ok {
					return
				}
				// Events before this one were committed elsewhere.
				if ev.Seq > last+1 && !catchUp() {
					return
				}
				if !send(*ev) {
					return
				}
			case <-pollC():
				if !catchUp() {
					return
				}
				poll = e.clock.NewTimer(e.cfg.WatchPollInterval)
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func endsExecution(t runbook.EventType) bool {
	return t == runbook.EventExecutionCompleted || t == runbook.EventExecutionFailed || t == runbook.EventExecutionCancelled
}
