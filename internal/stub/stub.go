// Package stub is a small HTTP service that call-service steps can call in
// tests, examples and benchmarks: it answers with JSON, fails on demand,
// counts attempts per idempotency key and records what it received.
package stub

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is what the stub recorded of one call.
type Request struct {
	Method         string
	Path           string
	Query          string
	IdempotencyKey string
	Header         http.Header
	Body           any
	Time           time.Time
}

// Server is the stub service. Its zero value is not usable; call New.
type Server struct {
	mu       sync.Mutex
	requests []Request
	byKey    map[string]int
	record   bool
	mux      *http.ServeMux
}

// New returns a stub. With record false it keeps no request log (for
// benchmarks), only the per-key attempt counters.
func New(record bool) *Server {
	s := &Server{byKey: map[string]int{}, record: record, mux: http.NewServeMux()}
	s.mux.HandleFunc("/ok", s.ok)
	s.mux.HandleFunc("/json", s.json)
	s.mux.HandleFunc("/echo", s.echo)
	s.mux.HandleFunc("/status/{code}", s.status)
	s.mux.HandleFunc("/flaky/{n}", s.flaky)
	s.mux.HandleFunc("/hang", s.hang)
	s.mux.HandleFunc("/text", s.text)
	s.mux.HandleFunc("/", s.ok)
	return s
}

// ServeHTTP records the call and routes it:
//
//	/ok, /anything  200 {"ok":true,"path":...}
//	/json?a=1&b=x   200 with the query as a JSON object (numbers, booleans parsed)
//	/echo           200 {"method","path","headers","body"}
//	/status/503     that status with {"status":503}; ?retryAfter=N sets Retry-After
//	/flaky/2        503 for the first 2 calls with the same Idempotency-Key, then 200 {"attempts":3}
//	/hang           blocks until the caller gives up
//	/text           200 text/plain "hello"
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body any
	if r.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if len(b) > 0 && json.Unmarshal(b, &body) != nil {
			body = string(b)
		}
	}
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	s.byKey[r.URL.Path+"\x00"+key]++
	if s.record {
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			IdempotencyKey: key, Header: r.Header.Clone(), Body: body, Time: time.Now()})
	}
	s.mu.Unlock()
	r = r.WithContext(withBody(r.Context(), body))
	s.mux.ServeHTTP(w, r)
}

// Requests returns the recorded calls, optionally only those to path.
func (s *Server) Requests(path string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Calls returns how many calls reached path with the idempotency key.
func (s *Server) Calls(path, key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byKey[path+"\x00"+key]
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) ok(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "path": r.URL.Path})
}

func (s *Server) json(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	for k, vs := range r.URL.Query() {
		out[k] = parseScalar(vs[0])
	}
	writeJSON(w, http.StatusOK, out)
}

func parseScalar(v string) any {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return v
}

func (s *Server) echo(w http.ResponseWriter, r *http.Request) {
	headers := map[string]any{}
	for k := range r.Header {
		headers[k] = r.Header.Get(k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,
		"headers": headers, "body": bodyFrom(r.Context())})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 100 || code > 599 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "bad status code"})
		return
	}
	if ra := r.URL.Query().Get("retryAfter"); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	writeJSON(w, code, map[string]any{"status": code})
}

func (s *Server) flaky(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "bad count"})
		return
	}
	calls := s.Calls(r.URL.Path, r.Header.Get("Idempotency-Key"))
	if calls <= n {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "flaky", "attempt": calls})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"attempts": calls})
}

func (s *Server) hang(w http.ResponseWriter, r *http.Request) {
	<-r.Context().Done()
}

func (s *Server) text(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, strings.TrimSpace("hello"))
}
