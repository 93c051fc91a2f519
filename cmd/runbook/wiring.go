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
	"github.com/runbookhq/runbook/metrics"
	"github.com/runbookhq/runbook/store/memory"
	"github.com/runbookhq/runbook/store/postgres"
	"github.com/runbookhq/runbook/store/sqlite"
)

// openStore opens the store named by uri: "memory", "sqlite:PATH" (or a
// bare path) or a postgres:// URL. exclusive reports whether this process
// is the only one that can use the store (see engine.Config.ExclusiveStore).
func openStore(ctx context.Context, uri string) (st runbook.Store, exclusive bool, err error) {
	switch {
	case uri == "memory":
		return memory.New(), true, nil
	case isPostgres(uri):
		// A database several processes share: their leases are valid, so
		// none is released here; the tasks of a process that died become
		// claimable when its leases expire.
		st, err := postgres.Open(ctx, uri)
		if err != nil {
			return nil, false, err
		}
		return st, false, nil
	}
	path := strings.TrimPrefix(uri, "sqlite:")
	if path == "" {
		return nil, false, fmt.Errorf("store %q names no file; use sqlite:PATH, e.g. sqlite:./runbook.db", uri)
	}
	sq, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, false, err
	}
	// Only this process can use the file: leases held by a process that
	// died are void, so its work resumes at once.
	if err := sq.ReleaseLeases(ctx, ""); err != nil {
		sq.Close()
		return nil, false, fmt.Errorf("recover leases in %s: %w", path, err)
	}
	return sq, true, nil
}

// isPostgres reports whether uri names a PostgreSQL database.
func isPostgres(uri string) bool {
	return strings.HasPrefix(uri, "postgres://") || strings.HasPrefix(uri, "postgresql://")
}

// redact hides a password in a connection string.
func redact(uri string) string {
	if isPostgres(uri) {
		return postgres.Redact(uri)
	}
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
	leaseDuration      time.Duration   // 0 for the engine's default
	nodeID             string          // "" for a new name at every start
	observer           engine.Observer // metrics; nil for none
	// exclusiveStore says that no other process uses the store, as
	// openStore reports.
	exclusiveStore bool
	// pollInterval bounds how long an idle engine waits before looking
	// for due tasks (0 for the engine's default).
	pollInterval time.Duration
}

// newEngine builds an engine with every built-in step type.
func newEngine(store runbook.Store, log *slog.Logger, opts engineOptions) (*engine.Engine, error) {
	ev, err := expr.NewEvaluator()
	if err != nil {
		return nil, err
	}
	// Batching commits buys the memory store nothing (see
	// engine.Config.DirectCommit); the store may be wrapped in metrics.
	_, inMemory := metrics.Unwrap(store).(*memory.Store)
	return engine.New(engine.Config{
		Store:              store,
		Executors:          builtin.Registry(ev, builtin.Options{UserAgent: "runbook/" + version}),
		Evaluator:          ev,
		Logger:             log,
		MaxConcurrentSteps: opts.maxConcurrentSteps,
		ShutdownGrace:      opts.shutdownGrace,
		Observer:           opts.observer,
		LeaseDuration:      opts.leaseDuration,
		NodeID:             opts.nodeID,
		// SQLite files and the memory store belong to one process; a
		// PostgreSQL database is shared, and attempts in flight need their
		// task rows so that another process can take them over.
		ExclusiveStore: opts.exclusiveStore,
		DirectCommit:   inMemory,
		PollInterval:   opts.pollInterval,
	})
}
