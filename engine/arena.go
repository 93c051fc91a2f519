package engine

import (
	"bytes"
	"encoding/json"
	"sync"
)

// jsonArena encodes the documents of one transition (the execution row,
// step rows, events) into one reusable buffer. Stores copy what they are
// given before Commit returns (runbook.Store), so the buffer goes back to a
// pool after the commit instead of leaving a dozen allocations to the
// collector on every step.
type jsonArena struct {
	buf  bytes.Buffer
	enc  *json.Encoder
	ends []int // end offset of each document
}

// arenas recycles jsonArena values; an arena that grew very large is not
// kept.
type arenas struct{ pool sync.Pool }

func (p *arenas) get() *jsonArena {
	if a, ok := p.pool.Get().(*jsonArena); ok {
		return a
	}
	a := &jsonArena{}
	a.enc = json.NewEncoder(&a.buf)
	return a
}

func (p *arenas) put(a *jsonArena) {
	if a == nil || a.buf.Cap() > 1<<20 {
		return
	}
	a.buf.Reset()
	a.ends = a.ends[:0]
	p.pool.Put(a)
}

// add encodes v as JSON (as json.Marshal does) and returns its index.
func (a *jsonArena) add(v any) (int, error) {
	if err := a.enc.Encode(v); err != nil {
		return 0, err
	}
	a.buf.Truncate(a.buf.Len() - 1) // Encode appends a newline
	a.ends = append(a.ends, a.buf.Len())
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
	return a.buf.Bytes()[start:end:end]
}
