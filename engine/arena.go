package engine

import (
	"encoding/json"
	"sync"
)

// jsonArena encodes the documents of one transition (the execution row,
// step rows, events) into one reusable buffer. Stores copy what they are
// given before Commit returns (runbook.Store), so the buffer goes back to a
// pool after the commit instead of leaving a dozen allocations to the
// collector on every step.
type jsonArena struct {
	buf  []byte
	ends []int // end offset of each document
}

// jsonAppender is a value that encodes itself as json.Marshal would,
// without reflection (the documents written on every transition).
type jsonAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// arenas recycles jsonArena values; an arena that grew very large is not
// kept.
type arenas struct{ pool sync.Pool }

func (p *arenas) get() *jsonArena {
	if a, ok := p.pool.Get().(*jsonArena); ok {
		return a
	}
	return &jsonArena{buf: make([]byte, 0, 4096)}
}

func (p *arenas) put(a *jsonArena) {
	if a == nil || cap(a.buf) > 1<<20 {
		return
	}
	a.buf = a.buf[:0]
	a.ends = a.ends[:0]
	p.pool.Put(a)
}

// add encodes v as JSON (as json.Marshal does) and returns its index.
func (a *jsonArena) add(v any) (int, error) {
	if ap, ok := v.(jsonAppender); ok {
		b, err := ap.AppendJSON(a.buf)
		if err != nil {
			return 0, err
		}
		a.buf = b
	} else {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		a.buf = append(a.buf, b...)
	}
	a.ends = append(a.ends, len(a.buf))
	return len(a.ends) - 1, nil
}

// doc returns document i. Valid until the arena is reused; call it only
// after every add, since adding may move the buffer.
func (a *jsonArena) doc(i int) []byte {
	start := 0
	if i > 0 {
		start = a.ends[i-1]
	}
	end := a.ends[i]
	return a.buf[start:end:end]
}
