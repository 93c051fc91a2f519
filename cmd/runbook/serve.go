package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/spec"
)

// ServeConfig is the configuration of `runbook serve`, from flags and
// RUNBOOK_* environment variables (flags win).
type ServeConfig struct {
	Addr               string
	Store              string
	RunbooksDir        string
	MaxConcurrentSteps int
	CORSOrigins        []string
	LogLevel           string
	LogFormat          string
}

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
	<-ctx.Done()
	log.Info("shutting down")
	return srv.Close()
}

func parseServeConfig(args []string, w io.Writer) (ServeConfig, error) {
	maxSteps, err := envInt("RUNBOOK_MAX_CONCURRENT_STEPS", 0)
	if err != nil {
		return ServeConfig{}, usageError{msg: err.Error()}
	}
	var cors string
	cfg := ServeConfig{}
	fs := newFlagSet("serve", "serve [flags]", w)
	fs.StringVar(&cfg.Addr, "addr", env("RUNBOOK_ADDR", "127.0.0.1:3000"), "listen address (RUNBOOK_ADDR)")
	fs.StringVar(&cfg.Store, "store", env("RUNBOOK_STORE", "sqlite:./runbook.db"), "store: sqlite:PATH or memory (RUNBOOK_STORE)")
	fs.StringVar(&cfg.RunbooksDir, "runbooks-dir", env("RUNBOOK_RUNBOOKS_DIR", ""), "load every definition in this folder at start-up (RUNBOOK_RUNBOOKS_DIR)")
	fs.IntVar(&cfg.MaxConcurrentSteps, "max-concurrent-steps", maxSteps, "default steps run at once per execution, 0 for 5 (RUNBOOK_MAX_CONCURRENT_STEPS)")
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
	for _, o := range strings.Split(cors, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
		}
	}
	if cfg.MaxConcurrentSteps < 0 {
		return cfg, usageError{msg: "--max-concurrent-steps must not be negative"}
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return cfg, usageError{msg: fmt.Sprintf("log format must be text or json, not %q", cfg.LogFormat)}
	}
	if _, err := parseLevel(cfg.LogLevel); err != nil {
		return cfg, usageError{msg: err.Error()}
	}
	return cfg, nil
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

// Server is the running service: store, engine and (with the REST API)
// its HTTP server. The end-to-end tests run it in-process.
type Server struct {
	Config ServeConfig
	Store  runbook.Store
	Engine *engine.Engine
	log    *slog.Logger
}

// OpenServer opens the store, builds the engine and loads the runbooks
// folder. Nothing runs until Start.
func OpenServer(ctx context.Context, cfg ServeConfig, log *slog.Logger) (*Server, error) {
	store, err := openStore(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	eng, err := newEngine(store, log, engineOptions{maxConcurrentSteps: cfg.MaxConcurrentSteps})
	if err != nil {
		store.Close()
		return nil, err
	}
	s := &Server{Config: cfg, Store: store, Engine: eng, log: log}
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

// Start runs the engine; unfinished executions left by a previous process
// continue.
func (s *Server) Start(ctx context.Context) error {
	s.Engine.Start()
	s.log.Info("runbook engine started", "store", redact(s.Config.Store), "node", s.Engine.NodeID())
	return nil
}

// Close stops the engine (letting running attempts finish for a grace
// period) and closes the store.
func (s *Server) Close() error {
	err := s.Engine.Close()
	if cerr := s.Store.Close(); err == nil {
		err = cerr
	}
	return err
}
