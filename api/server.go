package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/clock"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/metrics"
)

// APIVersion is the version every success body carries in "version".
const APIVersion = "v1"

// Defaults of Config.
const (
	DefaultMaxBodyBytes = 10 << 20
	DefaultHeartbeat    = 15 * time.Second
)

// Pinger is what the readiness check asks: the runbook.Store.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config holds the server's dependencies. Engine is required.
type Config struct {
	Engine *engine.Engine
	// Store answers /health/ready; without it the server is ready as soon
	// as it runs.
	Store  Pinger
	Logger *slog.Logger
	// CORSOrigins are the origins browsers may call the API from; "*"
	// allows any. Empty: no CORS headers.
	CORSOrigins []string
	// Metrics, when set, counts requests and is served at GET /metrics.
	Metrics *metrics.Metrics
	// Version is the build version, reported by /api/v1/health.
	Version string
	// Clock stamps health responses (default: the wall clock).
	Clock runbook.Clock
	// MaxBodyBytes limits request bodies (default 10 MiB); larger ones are
	// refused with 413.
	MaxBodyBytes int64
	// Heartbeat is the interval of the comment lines that keep an idle
	// event stream open through proxies (default 15s).
	Heartbeat time.Duration
}

// Server is the HTTP handler of the API. It is safe for concurrent use.
type Server struct {
	cfg     Config
	eng     *engine.Engine
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler

	streamsDone chan struct{}
	closeOnce   sync.Once
}

// New returns the API server for cfg.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	s := &Server{
		cfg:         cfg,
		eng:         cfg.Engine,
		log:         cfg.Logger,
		mux:         http.NewServeMux(),
		streamsDone: make(chan struct{}),
	}
	s.routes()
	var h http.Handler = http.HandlerFunc(s.dispatch)
	h = s.limitBody(h)
	h = s.cors(h)
	h = s.logAndRecover(h)
	if cfg.Metrics != nil {
		h = cfg.Metrics.HTTPMiddleware(h, routeOf)
	}
	h = s.requestID(h)
	s.handler = h
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// CloseStreams ends every open event stream and refuses new ones, so that
// http.Server.Shutdown, which waits for requests to finish, does not wait
// for streams that never would. Register it with
// http.Server.RegisterOnShutdown.
func (s *Server) CloseStreams() {
	s.closeOnce.Do(func() { close(s.streamsDone) })
}

// handlerFunc is an endpoint: it writes a success response or returns the
// error to answer with.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) routes() {
	s.handle("GET /health/live", s.live)
	s.handle("GET /health/ready", s.ready)
	s.handle("GET /api/v1/health", s.health)
	s.handle("GET /api/v1/openapi.json", s.openAPI)
	if s.cfg.Metrics != nil {
		h := s.cfg.Metrics.Handler()
		s.handle("GET /metrics", func(w http.ResponseWriter, r *http.Request) error {
			h.ServeHTTP(w, r)
			return nil
		})
	}

	s.handle("POST /api/v1/runbooks", s.createRunbook)
	s.handle("GET /api/v1/runbooks", s.listRunbooks)
	s.handle("GET /api/v1/runbooks/{id}", s.getRunbook)
	s.handle("GET /api/v1/runbooks/{id}/versions", s.listRunbookVersions)

	s.handle("POST /api/v1/executions", s.startExecution)
	s.handle("GET /api/v1/executions", s.listExecutions)
	s.handle("GET /api/v1/executions/{id}", s.getExecution)
	s.handle("POST /api/v1/executions/{id}/pause", s.pauseExecution)
	s.handle("POST /api/v1/executions/{id}/resume", s.resumeExecution)
	s.handle("POST /api/v1/executions/{id}/cancel", s.cancelExecution)
	s.handle("POST /api/v1/executions/{id}/replay", s.replayExecution)
	s.handle("POST /api/v1/executions/{id}/steps/{stepId}/retry", s.retryStep)
	s.handle("GET /api/v1/executions/{id}/logs", s.executionLogs)
	s.handle("GET /api/v1/executions/{id}/evidence", s.executionEvidence)
	s.handle("GET /api/v1/executions/{id}/history", s.executionHistory)
	s.handle("GET /api/v1/executions/{id}/stream", s.stream)

	s.handle("POST /api/v1/executions/{id}/steps/{stepId}/approvals", s.decide)
	s.handle("GET /api/v1/approvals", s.pendingApprovals)

	s.handle("POST /api/v1/events", s.sendEvent)
}

// handle registers an endpoint. The wrapper records the route pattern for
// the logs and metrics and answers the endpoint's error.
func (s *Server) handle(pattern string, h handlerFunc) {
	_, route, _ := strings.Cut(pattern, " ")
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if info := infoFrom(r.Context()); info != nil {
			info.route = route
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// dispatch routes the request. When no endpoint matches, ServeMux answers
// 404 or 405 in plain text; the writer turns that into the JSON error body.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(&unmatchedWriter{ResponseWriter: w, s: s, r: r}, r)
}

// requestInfo is what the middleware and the endpoints learn about a
// request as it is served.
type requestInfo struct {
	id    string
	route string // the pattern without its method; "" until an endpoint runs
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// requestIDOf returns the request's id.
func requestIDOf(r *http.Request) string {
	if info := infoFrom(r.Context()); info != nil {
		return info.id
	}
	return ""
}

// routeOf returns the route pattern the request matched, "" if none.
func routeOf(r *http.Request) string {
	if info := infoFrom(r.Context()); info != nil {
		return info.route
	}
	return ""
}
