package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/runbookhq/runbook"
)

// Log keys.
const (
	logRequestID = "requestId"
	logMethod    = "method"
	logRoute     = "route"
	logPath      = "path"
	logStatus    = "status"
	logDuration  = "duration"
	logBytes     = "bytes"
	logError     = "error"
)

// Request and response headers the API reads or sets.
const (
	headerRequestID      = "X-Request-Id"
	headerUserID         = "X-User-Id"
	headerIdempotencyKey = "Idempotency-Key"
	headerLastEventID    = "Last-Event-ID"
)

// maxRequestIDLen bounds a request id taken from the client.
const maxRequestIDLen = 128

// requestID takes the request's X-Request-Id when it is sane, or makes
// one, echoes it in the response and keeps it for the logs and the error
// bodies.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(headerRequestID)
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		w.Header().Set(headerRequestID, id)
		info := &requestInfo{id: id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
	})
}

// validRequestID accepts ids of letters, digits and - _ . : / + = up to
// 128 characters, so that a client's id can go into logs verbatim.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("-_.:/+=", c):
		default:
			return false
		}
	}
	return true
}

// logAndRecover logs every request once it is served and turns a panic in
// an endpoint into a logged 500 with the JSON error body.
func (s *Server) logAndRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &responseWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p != nil && p != http.ErrAbortHandler {
				reqID := requestIDOf(r)
				s.log.Error("panic serving request", logRequestID, reqID, logMethod, r.Method,
					logPath, r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rw.status == 0 {
					_ = writeJSON(rw, http.StatusInternalServerError, errorBody{
						Error: http.StatusText(http.StatusInternalServerError), Code: runbook.EINTERNAL,
						Message: fmt.Sprintf("internal error (request id %s)", reqID), RequestID: reqID})
				}
			}
			s.logRequest(r, rw, time.Since(start))
			if p == http.ErrAbortHandler {
				panic(p) // net/http's way to abort a response; it logs nothing
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

func (s *Server) logRequest(r *http.Request, rw *responseWriter, took time.Duration) {
	status := rw.status
	if status == 0 {
		status = http.StatusOK
	}
	route := routeOf(r)
	level := slog.LevelInfo
	switch {
	case status >= 500 && status != statusClientClosed:
		level = slog.LevelError
	case route == "/health/live" || route == "/health/ready" || route == "/metrics":
		level = slog.LevelDebug // probes and scrapes would drown the rest
	}
	if route == "" {
		route = "unmatched"
	}
	s.log.LogAttrs(r.Context(), level, "request",
		slog.String(logMethod, r.Method),
		slog.String(logRoute, route),
		slog.String(logPath, r.URL.Path),
		slog.Int(logStatus, status),
		slog.Duration(logDuration, took),
		slog.Int64(logBytes, rw.bytes),
		slog.String(logRequestID, requestIDOf(r)),
	)
}

// responseWriter remembers the status and size of the response. Unwrap lets
// http.ResponseController reach the connection's Flush.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// CORS settings sent to browsers.
const (
	corsMethods = "GET, POST, OPTIONS"
	corsHeaders = "Content-Type, Authorization, Idempotency-Key, Last-Event-ID, X-Request-Id, X-User-Id"
	corsExpose  = "X-Request-Id, Allow"
	corsMaxAge  = "600"
)

// cors answers preflight requests and adds the CORS headers to responses
// for the configured origins. Requests without an Origin header, and
// servers without origins, are left alone.
func (s *Server) cors(next http.Handler) http.Handler {
	origins := s.cfg.CORSOrigins
	if len(origins) == 0 {
		return next
	}
	anyOrigin := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		allowed := anyOrigin || slices.Contains(origins, origin)
		h := w.Header()
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			if !allowed {
				s.writeError(w, r, runbook.Errorf(runbook.EFORBIDDEN, "origin %q is not allowed; the server allows %s", origin, strings.Join(origins, ", ")))
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", corsExpose)
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses bodies over the limit: at once when Content-Length
// says so, else when reading passes it (see readBody).
func (s *Server) limitBody(next http.Handler) http.Handler {
	limit := s.cfg.MaxBodyBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			w.Header().Set("Connection", "close")
			s.writeError(w, r, tooLarge(limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func tooLarge(limit int64) error {
	return runbook.Errorf(runbook.ETOOLARGE, "request body is larger than the limit of %s", byteSize(limit))
}

func byteSize(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
