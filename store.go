package runbook

import (
	"context"
	"time"
)

// Store is the durable state of the engine. Every backend (memory, sqlite,
// postgres) implements it and passes the conformance suite in
// store/storetest. The store does not interpret execution snapshots or
// events: it keeps them, indexes them and moves them atomically.
type Store interface {
	RunbookStore
	ExecutionStore
	TaskStore
	EventStore

	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// RunbookStore keeps immutable runbook definitions.
type RunbookStore interface {
	// PutRunbook stores a definition under (ID, Version). Storing the same
	// content again is a no-op that returns the stored record; other
	// content under an existing (ID, Version) is an ECONFLICT error.
	PutRunbook(ctx context.Context, rec *RunbookRecord) (*RunbookRecord, error)
	// GetRunbook returns one version; ENOTFOUND if absent.
	GetRunbook(ctx context.Context, id, version string) (*RunbookRecord, error)
	// ListRunbookVersions returns every version of id, oldest first;
	// ENOTFOUND if there is none. The records have no Definition (nil):
	// listing costs the same however large the definitions, and
	// GetRunbook returns one whole.
	ListRunbookVersions(ctx context.Context, id string) ([]*RunbookRecord, error)
	// ListRunbooks returns every version of every runbook, ordered by id then
	// creation, without their definitions, as ListRunbookVersions.
	ListRunbooks(ctx context.Context) ([]*RunbookRecord, error)
}

// RunbookRecord is a stored definition.
type RunbookRecord struct {
	ID          string
	Version     string
	Name        string
	Description string
	StepCount   int
	Definition  []byte // canonical JSON of the Runbook
	Hash        string // sha256 of Definition, hex
	CreatedAt   time.Time
}

// ExecutionStore keeps executions: their row, their step rows and their
// history, all changed together by Commit.
type ExecutionStore interface {
	// Commit applies transitions atomically, each one all-or-nothing.
	// Backends may group them in one database transaction. The result for
	// each transition is in the same position: nil, or an error with code
	// ESTALE (the expected sequence number did not match), ECONFLICT (a
	// new execution's idempotency key is taken) or another failure. The
	// returned error is non-nil when the whole batch failed.
	Commit(ctx context.Context, txs []*Transition) ([]CommitResult, error)
	// GetExecution returns an execution's row and all its step rows;
	// ENOTFOUND if absent. Its Status, Seq and UpdatedAt are current; its
	// Data and step rows may be older (see Transition.DeferRows).
	GetExecution(ctx context.Context, id string) (*ExecutionRecord, []*StepRecord, error)
	// FindExecutionByKey returns the id of the execution started with the
	// idempotency key in the tenant; ENOTFOUND if none.
	FindExecutionByKey(ctx context.Context, tenantID, key string) (string, error)
	// ListExecutions returns executions newest first.
	ListExecutions(ctx context.Context, f ExecutionFilter) ([]*ExecutionRecord, error)
	// ListHistory returns events of an execution with Seq > afterSeq, in
	// order, at most limit (0: all).
	ListHistory(ctx context.Context, id string, afterSeq int64, limit int) ([]Event, error)
}

// ExecutionFilter selects executions. Cursor is the id of the last execution
// of the previous page; ids sort by creation time.
type ExecutionFilter struct {
	RunbookID string
	Status    ExecutionStatus
	TenantID  string
	Cursor    string
	Limit     int
}

// ExecutionRecord is the stored row of an execution. Data is the engine's
// snapshot of execution-level state (JSON); Seq is the number of the last
// event in its history and UpdatedAt the time of the transition that
// appended it. Static holds what never changes (the input and the
// context). The identity fields, CreatedAt and Static are written when the
// execution is created; an update writes only Status, Seq, UpdatedAt and
// Data, so that the hot path rewrites a small row. After transitions with
// DeferRows, Data and the step rows are older than Seq: those of the last
// transition that wrote them.
type ExecutionRecord struct {
	ID             string
	RunbookID      string
	RunbookVersion string
	TenantID       string
	IdempotencyKey string
	ParentID       string
	Status         ExecutionStatus
	Seq            int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Data           []byte
	Static         []byte
}

// StepRecord is the stored row of one step (Iteration 0) or one loop
// iteration (Iteration >= 1) of an execution. Data is the engine's
// snapshot of its state (JSON).
type StepRecord struct {
	ExecutionID string
	StepID      string
	Iteration   int
	Status      StepStatus
	Data        []byte
}

// Transition is one atomic change of one execution: the events appended to
// its history, the rows they change, and the tasks and waits they create or
// end. Tasks and waits may belong to other executions (a child finishing
// sends a task to its parent).
type Transition struct {
	// Execution is the row after the change. Its Seq is the number of the
	// last event appended.
	Execution *ExecutionRecord
	// ExpectedSeq is the Seq the stored row must have; the change is
	// refused with ESTALE otherwise. Ignored when Create is set.
	ExpectedSeq int64
	// Create inserts the execution instead of updating it.
	Create bool
	Events []Event
	// EncodedEvents optionally holds Events as JSON (encoding/json), one
	// per event, encoded by the caller off the store's commit path. A store
	// that keeps events as JSON uses them; stores must not require them.
	EncodedEvents [][]byte
	Steps         []*StepRecord
	PutTasks      []*Task
	DeleteTasks   []TaskRef
	PutWaits      []*Wait
	DeleteWaits   []WaitRef
	// ClearAll deletes every task and wait of the execution before PutTasks
	// and PutWaits are applied (the execution ended).
	ClearAll bool
	// MatchInbox asks the store to return, in the CommitResult, events
	// already delivered that match the event waits being put (see
	// EventStore): one query per wait, since a transition may park several
	// steps at once.
	MatchInbox []*InboxQuery
	// DeferRows appends the events (and applies the tasks and waits) but
	// leaves the execution's Data and its step rows as they are: Data and
	// Steps are not given, and the stored documents stay those of the last
	// transition that wrote them. The status must not change, it cannot
	// be set with Create, and the execution's UpdatedAt must be the time
	// of its last event (a store may take it from there). Only a store
	// that DefersRows accepts it; a reader folds the events after the
	// Data's own seq onto it.
	DeferRows bool
	// RunbookVersions, with Create, is how many versions of the execution's
	// runbook the caller saw when it chose the latest of them (0: no
	// condition). The store refuses the transition with ESTALE when it
	// holds another number, a version having been stored since, so that
	// the caller chooses again: a start that took the latest version from
	// a cache commits only while it still is the latest.
	RunbookVersions int
}

// RowDeferrer is implemented by a store that may accept transitions with
// DeferRows set: the engine then rewrites an execution's documents only now
// and then instead of on every transition, and a store that keeps them in
// rows saves most of its writes. A wrapper of a store implements
// it by asking the store it wraps.
type RowDeferrer interface {
	// DefersRows reports whether the store accepts DeferRows.
	DefersRows() bool
}

// ClockReference is implemented by a store that several processes share
// and that has a clock of its own (a database server's). Those processes
// compare each other's times: a lease another node took until its now
// plus 30s, a timer due at a time another node chose. Their clocks may
// disagree by more than a lease lasts; the store's clock is the one they
// can all read, so an engine on the real clock keeps to it (see
// clock.Synced). A wrapper of a store implements it by asking the store
// it wraps.
type ClockReference interface {
	// ReferenceTime returns the store's current time. A store that has no
	// clock (a wrapper of one) returns an EUNSUPPORTED error.
	ReferenceTime(ctx context.Context) (time.Time, error)
}

// TaskNotifier is implemented by a store that several processes share: it
// tells each one when another made tasks claimable (put tasks that no
// process holds, or gave its leases back when it stopped), so that idle
// processes take them at once instead of at their next poll. A wrapper of
// a store implements it by asking the store it wraps.
type TaskNotifier interface {
	// WatchTasks calls wake whenever another process may have made tasks
	// claimable, until ctx is done or the notifications are lost (a
	// dropped connection), and returns why it stopped. It calls wake once
	// it listens as well: what was sent before is not delivered. A store
	// that cannot notify (a wrapper of one) returns an EUNSUPPORTED error
	// at once.
	WatchTasks(ctx context.Context, wake func()) error
}

// PipelinedCommitter is implemented by a store that can write a batch of
// transitions while the previous batch is being flushed to disk, so that
// one flush covers several batches and the writer never waits for the
// disk. The engine uses it when the store has it.
type PipelinedCommitter interface {
	// CommitPipelined writes txs as Commit does and returns once they are
	// written, before they are durable. The returned wait blocks until
	// they are durable and returns what Commit would; nothing that depends
	// on them may be acknowledged before it returns. Calls to
	// CommitPipelined must not overlap; waits may, and may run in another
	// goroutine.
	CommitPipelined(ctx context.Context, txs []*Transition) (wait func() ([]CommitResult, error))
}

// CommitResult is the outcome of one transition of a Commit. Inbox has one
// entry per Transition.MatchInbox query, in the same order: the matching
// inbox events, oldest first.
type CommitResult struct {
	Err   error
	Inbox [][]*InboxEvent
}

// TaskKind names what a task asks of a worker.
type TaskKind string

// Task kinds.
const (
	// TaskRun runs one attempt of a step (or loop iteration).
	TaskRun TaskKind = "run"
	// TaskTimer fires a durable timer (see TimerKind).
	TaskTimer TaskKind = "timer"
	// TaskChild tells a parent execution that its child ended.
	TaskChild TaskKind = "child"
	// TaskStart creates a child execution (Payload: the start request).
	TaskStart TaskKind = "start"
	// TaskCancel cancels an execution (a parent's cancellation cascading).
	TaskCancel TaskKind = "cancel"
)

// Task is a unit of work or a timer, stored with the transition that made it
// and claimed by workers under a lease. Key is unique within the execution.
type Task struct {
	ExecutionID    string
	Key            string
	Kind           TaskKind
	StepID         string
	Iteration      int
	Attempt        int
	Timer          TimerKind
	DueAt          time.Time
	Owner          string
	LeaseExpiresAt time.Time
	Deliveries     int
	Payload        []byte
}

// TaskRef names a task.
type TaskRef struct {
	ExecutionID string
	Key         string
}

// TaskStore hands out due tasks to workers under leases.
type TaskStore interface {
	// ClaimTasks leases up to limit tasks that are due at now and not
	// leased (or whose lease expired) to owner until leaseUntil, and
	// returns them with Deliveries incremented.
	ClaimTasks(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*Task, error)
	// NextDue returns the earliest time at which a task becomes claimable
	// by someone other than its current owner; ok is false when there is
	// no task.
	NextDue(ctx context.Context) (t time.Time, ok bool, err error)
	// ExtendLeases moves every lease of owner to until.
	ExtendLeases(ctx context.Context, owner string, until time.Time) error
	// ReleaseLeases gives back every lease of owner ("" releases all leases:
	// a store that only one process can open does so at start).
	ReleaseLeases(ctx context.Context, owner string) error
}

// Wait is a parked step: an approval, an event or a child execution it is
// waiting for. Waits are indexed for the approval inbox and event matching.
type Wait struct {
	ExecutionID   string
	StepID        string
	Iteration     int
	Kind          WaitKind
	TenantID      string
	EventType     string
	CorrelationID string
	Approvers     []string
	Deadline      time.Time
	CreatedAt     time.Time
	// Since is when the execution started: events delivered since then
	// match this wait even if they arrived before it.
	Since time.Time
}

// WaitRef names a wait.
type WaitRef struct {
	ExecutionID string
	StepID      string
	Iteration   int
}

// WaitFilter selects waits.
type WaitFilter struct {
	Kind     WaitKind
	TenantID string
	Approver string
	Limit    int
}

// InboxEvent is an external event delivered to the engine.
type InboxEvent struct {
	ID            string
	TenantID      string
	Type          string
	CorrelationID string
	Payload       []byte // JSON
	ReceivedAt    time.Time
}

// InboxQuery selects delivered events that match a wait.
type InboxQuery struct {
	TenantID      string
	Type          string
	CorrelationID string
	Since         time.Time
}

// EventStore keeps external events and finds the waits they wake.
type EventStore interface {
	// DeliverEvent stores ev and returns the event waits it matches, in one
	// transaction, so that a wait committed concurrently either sees the
	// event through Transition.MatchInbox or is returned here.
	DeliverEvent(ctx context.Context, ev *InboxEvent) ([]*Wait, error)
	// ListWaits returns waits, oldest first.
	ListWaits(ctx context.Context, f WaitFilter) ([]*Wait, error)
}
