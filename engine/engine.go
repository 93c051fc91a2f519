package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/clock"
	"github.com/runbookhq/runbook/expr"
)

// Config holds an engine's dependencies and limits. Store, Executors and
// Evaluator are required; the rest have defaults.
type Config struct {
	Store     runbook.Store
	Executors runbook.Registry
	Evaluator *expr.Evaluator
	// Clock is the engine's source of time (default: the wall clock). On
	// a shared store that has a clock of its own (runbook.ClockReference),
	// the default is the wall clock kept to the store's (clock.Synced),
	// so that replicas whose clocks disagree still agree on leases and
	// timers.
	Clock  runbook.Clock
	Logger *slog.Logger
	// NodeID names this engine in task leases; unique per process.
	NodeID string
	// MaxConcurrentSteps is the default per-execution limit of steps
	// running at once; a runbook's maxConcurrentSteps overrides it.
	MaxConcurrentSteps int
	// MaxAttempts bounds the step attempts this node executes at once.
	MaxAttempts int
	// LeaseDuration is how long a claimed task stays with this node
	// without renewal; leases are renewed every LeaseDuration/3.
	LeaseDuration time.Duration
	// RetryPolicy is the engine default when neither step nor runbook
	// names one.
	RetryPolicy *runbook.RetryPolicy
	// MaxBatch bounds the transitions committed in one store transaction.
	MaxBatch int
	// DirectCommit commits each transition from the goroutine that made
	// it instead of grouping transitions into batches. Grouping pays for
	// itself when a commit has a fixed cost (a flush to disk, a round
	// trip); for the memory store it only adds a hop through the
	// committer, so that store is run with DirectCommit.
	DirectCommit bool
	// PollInterval is the longest the engine waits before looking for due
	// tasks written by other processes (default 2s).
	PollInterval time.Duration
	// AttemptCheckInterval is how often, on a shared store, this node
	// checks that the attempts it has been running for longer than that
	// are still wanted; one whose execution another node cancelled (or
	// whose step it timed out or took over) is interrupted (default 1s).
	AttemptCheckInterval time.Duration
	// WatchPollInterval is how often a watch on a shared store reads the
	// history for events committed by other processes (default 250ms);
	// events committed on this node reach its watchers at once.
	WatchPollInterval time.Duration
	// ShutdownGrace is how long Close lets running attempts finish before
	// interrupting them and handing their tasks back (default 10s).
	ShutdownGrace time.Duration
	// ClockSyncInterval is how often the default clock of a shared store
	// that has one is measured against the store's again (default 1m;
	// see Clock).
	ClockSyncInterval time.Duration
	// Observer receives measurements for metrics (default: none).
	Observer Observer
	// ExclusiveStore says that only this process uses the store (SQLite,
	// memory). Attempts in flight are then not written as run tasks: the
	// step rows in status running are their durable record, and Start runs
	// them again. Stores shared by several processes need the tasks, whose
	// leases move work from a dead node to the others.
	ExclusiveStore bool
}

// Engine runs executions durably. Every change is a transition committed to
// the store together with the tasks and timers it creates; workers claim
// due tasks under leases. It is safe for concurrent use.
type Engine struct {
	cfg   Config
	store runbook.Store
	clock runbook.Clock
	// synced is clock when it is the default clock kept to the store's.
	synced *clock.Synced
	log    *slog.Logger
	eval   *expr.Evaluator
	node   string
	retry  runbook.RetryPolicy
	obs    Observer
	// defersRows is set when the store accepts Transition.DeferRows.
	defersRows bool
	runbooks   *runbookCache
	arenas     arenas
	txns       sync.Pool // *txn, see releaseTxn
	actors     *actorTable
	commits    *committer
	watchers   *watchHub

	// slots bounds attempts running at once on this node.
	slots chan struct{}
	// wake nudges the poller to look for due tasks now.
	wake chan struct{}

	ctx     context.Context // cancelled by Close after the grace period
	cancel  context.CancelFunc
	closing atomic.Bool
	running tracker        // attempts and other per-task goroutines
	workers *workerPool    // the goroutines that run them
	loops   sync.WaitGroup // committer, the background loops
	// localTasks maps "execution\x00key" to the task running here.
	localTasks sync.Map
	// taskFailures counts, by the same key, the failures in a row of a
	// task tried again here (see retryLater).
	taskFailures sync.Map
	started      atomic.Bool
	closed       chan struct{}
	once         sync.Once
}

// New returns an engine; Start must be called before it runs anything.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Executors == nil || cfg.Evaluator == nil {
		return nil, errors.New("engine: Store, Executors and Evaluator are required")
	}
	var synced *clock.Synced
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
		if ref, ok := cfg.Store.(runbook.ClockReference); ok && !cfg.ExclusiveStore {
			synced = clock.NewSynced(clock.Real{}, ref)
			cfg.Clock = synced
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.NodeID == "" {
		cfg.NodeID = uuid.NewString()
	}
	if cfg.MaxConcurrentSteps <= 0 {
		cfg.MaxConcurrentSteps = runbook.DefaultMaxConcurrentSteps
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 1024
	}
	if cfg.LeaseDuration <= 0 {
		cfg.LeaseDuration = 30 * time.Second
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.AttemptCheckInterval <= 0 {
		cfg.AttemptCheckInterval = time.Second
	}
	if cfg.WatchPollInterval <= 0 {
		cfg.WatchPollInterval = 250 * time.Millisecond
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	if cfg.ClockSyncInterval <= 0 {
		cfg.ClockSyncInterval = time.Minute
	}
	retry := runbook.DefaultRetryPolicy()
	if cfg.RetryPolicy != nil {
		retry = *cfg.RetryPolicy
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		cfg:      cfg,
		store:    cfg.Store,
		clock:    cfg.Clock,
		synced:   synced,
		log:      cfg.Logger,
		eval:     cfg.Evaluator,
		node:     cfg.NodeID,
		retry:    retry,
		obs:      cfg.Observer,
		runbooks: newRunbookCache(cfg.Store, cfg.ExclusiveStore),
		actors:   newActorTable(),
		watchers: newWatchHub(),
		slots:    make(chan struct{}, cfg.MaxAttempts),
		workers:  newWorkerPool(maxIdleWorkers),
		wake:     make(chan struct{}, 1),
		ctx:      ctx,
		cancel:   cancel,
		closed:   make(chan struct{}),
	}
	if d, ok := cfg.Store.(runbook.RowDeferrer); ok {
		e.defersRows = d.DefersRows()
	}
	e.commits = newCommitter(cfg.Store, cfg.MaxBatch, cfg.DirectCommit, e.log)
	return e, nil
}

// ClockOffset returns the correction the engine applies to the wall clock
// to keep to the shared store's (see Config.Clock): zero when it needs none
// or keeps its own clock.
func (e *Engine) ClockOffset() time.Duration {
	if e.synced == nil {
		return 0
	}
	return e.synced.Offset()
}

// NodeID returns the name this engine uses in task leases.
func (e *Engine) NodeID() string { return e.node }

// Start launches the committer, the task poller and the lease renewer.
// Work left by a previous process (tasks whose lease expired or was
// released) is picked up by the poller.
func (e *Engine) Start() {
	if !e.started.CompareAndSwap(false, true) {
		return
	}
	if e.synced != nil {
		// Before anything reads the time: the first claims and leases
		// are then in the store's time already.
		e.syncClock()
		e.loops.Add(1)
		go func() { defer e.loops.Done(); e.clockLoop() }()
	}
	e.loops.Add(3)
	go func() { defer e.loops.Done(); e.commits.run() }()
	go func() { defer e.loops.Done(); e.pollLoop() }()
	go func() { defer e.loops.Done(); e.renewLoop() }()
	if !e.cfg.ExclusiveStore {
		e.loops.Add(1)
		go func() { defer e.loops.Done(); e.checkLoop() }()
	}
	if n, ok := e.store.(runbook.TaskNotifier); ok {
		e.loops.Add(1)
		go func() { defer e.loops.Done(); e.notifyLoop(n) }()
	}
	if e.cfg.ExclusiveStore {
		// Synchronous on purpose: only attempts left by the previous process
		// may be re-run; once Start returns, new attempts are this node's.
		if err := e.recoverAttempts(e.ctx); err != nil && e.ctx.Err() == nil {
			e.log.Error("recover attempts in flight", "err", err)
		}
	}
	e.nudge()
}

// Close stops taking work, lets running attempts finish for the shutdown
// grace period, interrupts the rest without recording them (their tasks
// are handed back for another process or the next start) and stops.
func (e *Engine) Close() error {
	var err error
	e.once.Do(func() {
		e.closing.Store(true)
		close(e.closed)
		if !e.running.close(e.cfg.ShutdownGrace) {
			e.cancel()
			e.running.wait()
		}
		e.cancel()
		e.workers.close()
		e.commits.stop()
		e.loops.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if rerr := e.store.ReleaseLeases(ctx, e.node); rerr != nil {
			err = fmt.Errorf("release leases: %w", rerr)
		}
		e.watchers.closeAll()
	})
	return err
}

// nudge wakes the poller.
func (e *Engine) nudge() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// now returns the engine clock's time, truncated to microseconds so that it
// survives every store unchanged.
func (e *Engine) now() time.Time { return e.clock.Now().UTC().Truncate(time.Microsecond) }

// Wake makes the engine look for due tasks now instead of at its next
// planned check (for example after a test moved its clock).
func (e *Engine) Wake() { e.nudge() }
