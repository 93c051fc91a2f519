package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/executor/builtin"
	"github.com/runbookhq/runbook/expr"
	"github.com/runbookhq/runbook/store/memory"
	"github.com/runbookhq/runbook/store/sqlite"
)

// openStore opens the store named by uri: "memory", "sqlite:PATH" (or a
// bare path).
func openStore(ctx context.Context, uri string) (runbook.Store, error) {
	switch {
	case uri == "memory":
		return memory.New(), nil
	case strings.HasPrefix(uri, "postgres://"), strings.HasPrefix(uri, "postgresql://"):
		return nil, fmt.Errorf("store %q: the PostgreSQL store is not available in this version; use sqlite:PATH or memory", redact(uri))
	}
	path := strings.TrimPrefix(uri, "sqlite:")
	if path == "" {
		return nil, fmt.Errorf("store %q names no file; use sqlite:PATH, e.g. sqlite:./runbook.db", uri)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	// Only this process can use the file: leases held by a process that
	// died are void, so its work resumes at once.
	if err := st.ReleaseLeases(ctx, ""); err != nil {
		st.Close()
		return nil, fmt.Errorf("recover leases in %s: %w", path, err)
	}
	return st, nil
}

// redact hides a password in a connection string.
func redact(uri string) string {
	at := strings.LastIndex(uri, "@")
	scheme := strings.Index(uri, "://")
	if at < 0 || scheme < 0 {
		return uri
	}
	creds := uri[scheme+3 : at]
	if i := strings.Index(creds, ":"); i >= 0 {
		return uri[:scheme+3] + creds[:i] + ":***" + uri[at:]
	}
	return uri
}

// engineOptions are the engine settings a command exposes.
type engineOptions struct {
	maxConcurrentSteps int
	shutdownGrace      time.Duration
	observer           engine.Observer // metrics; nil for none
}

// newEngine builds an engine with every built-in step type.
func newEngine(store runbook.Store, log *slog.Logger, opts engineOptions) (*engine.Engine, error) {
	ev, err := expr.NewEvaluator()
	if err != nil {
		return nil, err
	}
	return engine.New(engine.Config{
		Store:              store,
		Executors:          builtin.Registry(ev, builtin.Options{UserAgent: "runbook/" + version}),
		Evaluator:          ev,
		Logger:             log,
		MaxConcurrentSteps: opts.maxConcurrentSteps,
		ShutdownGrace:      opts.shutdownGrace,
		Observer:           opts.observer,
		// SQLite files and the memory store belong to one process.
		ExclusiveStore: true,
	})
}
