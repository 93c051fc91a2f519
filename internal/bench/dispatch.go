package bench

import (
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// dispatchClock measures step dispatch latency as the issue defines it:
// from a step completing (the engine has read the whole answer of its
// call) to the request of the next step of the same execution leaving
// (written to the connection). It wraps the transport the engine's
// call-service steps use and recognises executions by the
// X-Execution-Id header call-service sends. What the HTTP stack does on
// either side (the answer travelling back, the target reading the next
// request) is not dispatch; the target measures the whole gap separately.
type dispatchClock struct {
	next http.RoundTripper

	mu        sync.Mutex
	completed map[string]time.Time
	samples   []time.Duration
}

func newDispatchClock(next http.RoundTripper) *dispatchClock {
	return &dispatchClock{next: next, completed: map[string]time.Time{}}
}

// RoundTrip implements http.RoundTripper.
func (d *dispatchClock) RoundTrip(req *http.Request) (*http.Response, error) {
	exec := req.Header.Get("X-Execution-Id")
	if exec == "" {
		return d.next.RoundTrip(req)
	}
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { d.left(exec, time.Now()) }}
	resp, err := d.next.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		return nil, err
	}
	resp.Body = &completionBody{ReadCloser: resp.Body, done: func() { d.complete(exec, time.Now()) }}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the wrapped transport.
func (d *dispatchClock) CloseIdleConnections() {
	if c, ok := d.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// left records a request leaving: the dispatch of a step whose
// predecessor in the execution completed earlier.
func (d *dispatchClock) left(exec string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if last, ok := d.completed[exec]; ok {
		d.samples = append(d.samples, at.Sub(last))
		delete(d.completed, exec)
	}
}

// complete records a step's call ending: its answer read and closed.
func (d *dispatchClock) complete(exec string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.completed[exec] = at
}

func (d *dispatchClock) percentiles() *Percentiles {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := percentiles(d.samples)
	return &Percentiles{P50: p.P50, P99: p.P99}
}

// completionBody calls done once, when the body is closed.
type completionBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *completionBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}
