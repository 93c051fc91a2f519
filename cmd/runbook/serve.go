package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/metrics"
	"github.com/runbookhq/runbook/spec"
)

// ServeConfig is the configuration of `runbook serve`, from flags and
// RUNBOOK_* environment variables (flags win).
type ServeConfig struct {
	Addr               string
	Store              string
	RunbooksDir        string
	MaxConcurrentSteps int
	// LeaseDuration is how long a task claimed by this process stays
	// with it without renewal: how long the other processes sharing a
	// PostgreSQL store wait before taking over the work of one that died.
	LeaseDuration time.Duration
	// NodeID names this process in task leases. Empty: a new name at every
	// start. A stable name (unique among the running replicas) lets a
	// restarted replica take back its own work at once instead of waiting
	// for its old leases to expire.
	NodeID string
	// PollInterval bounds how long an idle process waits before looking
	// for tasks it was not told about (0: the engine's default). On
	// PostgreSQL the replicas notify each other of released leases and
	// new timers, so the poll only covers lost notifications.
	PollInterval time.Duration
	// ShutdownGrace is how long a stopping process lets running attempts
	// finish before it interrupts them and hands their tasks back.
	ShutdownGrace time.Duration
	CORSOrigins   []string
	LogLevel      string
	LogFormat     string
}

// validNodeID is what --node-id accepts.
var validNodeID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// ServeCommand runs the engine as a long-lived service.
type ServeCommand struct {
	stdio Stdio
}

// Run starts the service and blocks until ctx is cancelled (SIGINT or
// SIGTERM), then shuts down gracefully.
func (c *ServeCommand) Run(ctx context.Context, args []string) error {
	cfg, err := parseServeConfig(args, c.stdio.Err)
	if err != nil {
		return err
	}
	log, err := newLogger(c.stdio.Err, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	srv, err := OpenServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		srv.Close()
		return err
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err = <-srv.Failed():
		log.Error("the HTTP server stopped", "error", err)
	}
	if cerr := srv.Close(); err == nil {
		err = cerr
	}
	return err
}

func parseServeConfig(args []string, w io.Writer) (ServeConfig, error) {
	maxSteps, err := envInt("RUNBOOK_MAX_CONCURRENT_STEPS", 0)
	if err != nil {
		return ServeConfig{}, usageError{msg: err.Error()}
	}
	lease, err := envDuration("RUNBOOK_LEASE_DURATION", defaultLeaseDuration)
	if err != nil {
		return ServeConfig{}, usageError{msg: err.Error()}
	}
	poll, err := envDuration("RUNBOOK_POLL_INTERVAL", defaultPollInterval)
	if err != nil {
		return ServeConfig{}, usageError{msg: err.Error()}
	}
	grace, err := envDuration("RUNBOOK_SHUTDOWN_GRACE", defaultShutdownGrace)
	if err != nil {
		return ServeConfig{}, usageError{msg: err.Error()}
	}
	var cors string
	cfg := ServeConfig{}
	fs := newFlagSet("serve", "serve [flags]", w)
	fs.StringVar(&cfg.Addr, "addr", env("RUNBOOK_ADDR", "127.0.0.1:3000"), "listen address (RUNBOOK_ADDR)")
	fs.StringVar(&cfg.Store, "store", env("RUNBOOK_STORE", "sqlite:./runbook.db"), "store: sqlite:PATH, a postgres:// URL (shared by replicas) or memory (RUNBOOK_STORE)")
	fs.StringVar(&cfg.RunbooksDir, "runbooks-dir", env("RUNBOOK_RUNBOOKS_DIR", ""), "load every definition in this folder at start-up (RUNBOOK_RUNBOOKS_DIR)")
	fs.IntVar(&cfg.MaxConcurrentSteps, "max-concurrent-steps", maxSteps, "default steps run at once per execution, 0 for 5 (RUNBOOK_MAX_CONCURRENT_STEPS)")
	fs.DurationVar(&cfg.LeaseDuration, "lease-duration", lease, "how long other replicas wait before taking over the tasks of one that stopped renewing them (RUNBOOK_LEASE_DURATION)")
	fs.StringVar(&cfg.NodeID, "node-id", env("RUNBOOK_NODE_ID", ""), "stable name of this replica in task leases, unique among running replicas; a restart takes its leases back at once (RUNBOOK_NODE_ID; default: new at every start)")
	fs.DurationVar(&cfg.PollInterval, "poll-interval", poll, "longest an idle replica waits before looking for due tasks it was not notified of (RUNBOOK_POLL_INTERVAL)")
	fs.DurationVar(&cfg.ShutdownGrace, "shutdown-grace", grace, "how long a stopping process lets running steps finish before handing them back (RUNBOOK_SHUTDOWN_GRACE)")
	fs.StringVar(&cors, "cors-origins", env("RUNBOOK_CORS_ORIGINS", ""), "comma-separated origins allowed by CORS (RUNBOOK_CORS_ORIGINS)")
	fs.StringVar(&cfg.LogLevel, "log-level", env("RUNBOOK_LOG_LEVEL", "info"), "debug, info, warn or error (RUNBOOK_LOG_LEVEL)")
	fs.StringVar(&cfg.LogFormat, "log-format", env("RUNBOOK_LOG_FORMAT", "text"), "text or json (RUNBOOK_LOG_FORMAT)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return cfg, err
	}
	if len(rest) > 0 {
		return cfg, usageError{msg: fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, usageError{msg: fmt.Sprintf("--addr %q is not host:port, e.g. 127.0.0.1:3000 or :3000", cfg.Addr)}
	}
	for _, o := range strings.Split(cors, ",") {
		if o = strings.TrimSpace(o); o != "" {
			if !validOrigin(o) {
				return cfg, usageError{msg: fmt.Sprintf("CORS origin %q is not \"*\" or scheme://host[:port], e.g. https://console.example.com", o)}
			}
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
		}
	}
	if cfg.LeaseDuration < minLeaseDuration {
		return cfg, usageError{msg: fmt.Sprintf("--lease-duration %s is too short: leases are renewed every third of it; use at least %s", cfg.LeaseDuration, minLeaseDuration)}
	}
	if cfg.PollInterval < minPollInterval {
		return cfg, usageError{msg: fmt.Sprintf("--poll-interval %s is too short: use at least %s", cfg.PollInterval, minPollInterval)}
	}
	if cfg.ShutdownGrace <= 0 {
		return cfg, usageError{msg: fmt.Sprintf("--shutdown-grace %s: use a positive duration, e.g. 10s", cfg.ShutdownGrace)}
	}
	if cfg.MaxConcurrentSteps < 0 {
		return cfg, usageError{msg: "--max-concurrent-steps must not be negative"}
	}
	if cfg.NodeID != "" && !validNodeID.MatchString(cfg.NodeID) {
		return cfg, usageError{msg: fmt.Sprintf("--node-id %q: use 1 to 128 letters, digits, '.', '_' or '-', e.g. runbook-0", cfg.NodeID)}
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return cfg, usageError{msg: fmt.Sprintf("log format must be text or json, not %q", cfg.LogFormat)}
	}
	if _, err := parseLevel(cfg.LogLevel); err != nil {
		return cfg, usageError{msg: err.Error()}
	}
	return cfg, nil
}

// validOrigin accepts "*" and origins such as https://console.example.com.
func validOrigin(o string) bool {
	if o == "*" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Path == "" &&
		u.RawQuery == "" && u.Fragment == "" && u.User == nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	l, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// Server is the running service: store, engine, metrics and the HTTP
// server of the REST API. The end-to-end tests run it in-process.
type Server struct {
	Config  ServeConfig
	Store   runbook.Store
	Engine  *engine.Engine
	Metrics *metrics.Metrics
	API     *api.Server
	log     *slog.Logger

	http   *http.Server
	addr   string
	failed chan error
}

// Task leases: the default is the engine's; shorter ones let replicas take
// over a dead one's work sooner at the cost of more renewals.
const (
	defaultLeaseDuration = 30 * time.Second
	minLeaseDuration     = time.Second
)

// The poll covers what no notification announced (every task on a store
// that sends none); the grace is the engine's default.
const (
	defaultPollInterval  = 2 * time.Second
	minPollInterval      = 10 * time.Millisecond
	defaultShutdownGrace = 10 * time.Second
)

// Timeouts of the HTTP server. There is no write timeout: event streams
// stay open as long as the execution runs.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	// shutdownTimeout bounds how long Close waits for in-flight requests.
	shutdownTimeout = 15 * time.Second
)

// OpenServer opens the store, builds the engine, its metrics and the API,
// and loads the runbooks folder. Nothing runs until Start.
func OpenServer(ctx context.Context, cfg ServeConfig, log *slog.Logger) (*Server, error) {
	raw, exclusive, err := openStore(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	store := metrics.InstrumentStore(raw, m)
	if err := m.ObserveWaits(store); err != nil {
		store.Close()
		return nil, err
	}
	if cfg.NodeID != "" && !exclusive {
		// The leases held under this name belong to this replica's previous
		// run, which is over: its work is taken back now.
		if err := store.ReleaseLeases(ctx, cfg.NodeID); err != nil {
			store.Close()
			return nil, fmt.Errorf("take back the leases of node %s: %w", cfg.NodeID, err)
		}
	}
	eng, err := newEngine(store, log, engineOptions{maxConcurrentSteps: cfg.MaxConcurrentSteps, observer: m,
		leaseDuration: cfg.LeaseDuration, exclusiveStore: exclusive, nodeID: cfg.NodeID,
		pollInterval: cfg.PollInterval, shutdownGrace: cfg.ShutdownGrace})
	if err != nil {
		store.Close()
		return nil, err
	}
	if err := m.ObserveClockOffset(eng.ClockOffset); err != nil {
		store.Close()
		return nil, err
	}
	s := &Server{Config: cfg, Store: store, Engine: eng, Metrics: m, log: log, failed: make(chan error, 1)}
	s.API = api.New(api.Config{Engine: eng, Store: store, Logger: log, CORSOrigins: cfg.CORSOrigins, Metrics: m, Version: version})
	if cfg.RunbooksDir != "" {
		if err := s.loadRunbooks(ctx, cfg.RunbooksDir); err != nil {
			store.Close()
			return nil, err
		}
	}
	return s, nil
}

// loadRunbooks stores every definition of a folder; one invalid file stops
// the start-up with its problems.
func (s *Server) loadRunbooks(ctx context.Context, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("runbooks folder: %w", err)
	}
	var files []string
	for _, e := range entries {
		if _, ok := spec.FormatOf(e.Name(), ""); ok && !e.IsDir() {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	for _, f := range files {
		rb, err := spec.ParseFile(f)
		if err != nil {
			if d := runbook.ErrorDetails(err); len(d) > 0 {
				return fmt.Errorf("%s: %s: %s (and %d more; run 'runbook validate %s')", f, d[0].Field, d[0].Message, len(d)-1, f)
			}
			return fmt.Errorf("%s: %s", f, oneLine(err))
		}
		if _, _, err := s.Engine.PutRunbook(ctx, rb); err != nil {
			return fmt.Errorf("%s: %s", f, oneLine(err))
		}
		s.log.Info("loaded runbook", "file", f, "id", rb.ID, "version", rb.Version)
	}
	return nil
}

// Start runs the engine (unfinished executions left by a previous process
// continue) and serves the API on Config.Addr. It logs the address it
// listens on, the port chosen included when Addr ends in ":0".
func (s *Server) Start(ctx context.Context) error {
	l, err := net.Listen("tcp", s.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Config.Addr, err)
	}
	s.Engine.Start()
	s.log.Info("runbook engine started", "store", redact(s.Config.Store), "node", s.Engine.NodeID())
	s.addr = l.Addr().String()
	s.http = &http.Server{
		Handler:           s.API,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Shutdown waits for requests to finish; event streams never would.
	s.http.RegisterOnShutdown(s.API.CloseStreams)
	go func() {
		if err := s.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.failed <- fmt.Errorf("serve HTTP on %s: %w", s.addr, err)
		}
	}()
	s.log.Info("listening on "+s.addr, "addr", s.addr)
	return nil
}

// Addr returns the address the API listens on, once started.
func (s *Server) Addr() string { return s.addr }

// Failed reports an HTTP server that stopped by itself.
func (s *Server) Failed() <-chan error { return s.failed }

// Close shuts the service down in order: the HTTP server stops accepting
// connections and lets in-flight requests finish (event streams are
// ended), then the engine lets running attempts finish for a grace period
// and hands the rest back, then the store is closed.
func (s *Server) Close() error {
	var errs []error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		if err := s.http.Shutdown(ctx); err != nil {
			s.log.Warn("requests still running at shutdown were cut off", "error", err)
			_ = s.http.Close()
		}
		cancel()
	}
	if err := s.Engine.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := s.Store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	return errors.Join(errs...)
}
