package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// unmatchedRoute labels requests that matched no route (404, 405).
const unmatchedRoute = "unmatched"

// HTTPMiddleware returns next wrapped to count and time its requests by
// route, method and status code. route is called after next has served the
// request and names the route pattern it matched (such as
// "/api/v1/executions/{id}"), never the raw path, so that the number of
// series stays bounded; "" counts as "unmatched".
func (m *Metrics) HTTPMiddleware(next http.Handler, route func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			// Recorded even when next panics (and the panic goes on).
			rt := route(r)
			if rt == "" {
				rt = unmatchedRoute
			}
			method := methodLabel(r.Method)
			code := sw.status
			if code == 0 {
				code = http.StatusOK
			}
			m.httpRequests.WithLabelValues(rt, method, strconv.Itoa(code)).Inc()
			m.httpDuration.WithLabelValues(rt, method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// methodLabel keeps the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusWriter remembers the status code written. Unwrap lets
// http.ResponseController reach the connection's Flush.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code // 1xx responses are informational, not the status
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
