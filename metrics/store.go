package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/runbookhq/runbook"
)

// Store operation names, the values of the "operation" label.
const (
	opPutRunbook          = "put_runbook"
	opGetRunbook          = "get_runbook"
	opListRunbookVersions = "list_runbook_versions"
	opListRunbooks        = "list_runbooks"
	opCommit              = "commit"
	opGetExecution        = "get_execution"
	opFindExecutionByKey  = "find_execution_by_key"
	opListExecutions      = "list_executions"
	opListHistory         = "list_history"
	opClaimTasks          = "claim_tasks"
	opNextDue             = "next_due"
	opExtendLeases        = "extend_leases"
	opReleaseLeases       = "release_leases"
	opDeliverEvent        = "deliver_event"
	opListWaits           = "list_waits"
	opPing                = "ping"
	opClose               = "close"
)

// InstrumentStore returns s with every method timed (histogram by
// operation) and every error counted (by operation and error code). With a
// nil m it returns s unchanged.
func InstrumentStore(s runbook.Store, m *Metrics) runbook.Store {
	if m == nil {
		return s
	}
	ops := []string{opPutRunbook, opGetRunbook, opListRunbookVersions, opListRunbooks, opCommit, opGetExecution,
		opFindExecutionByKey, opListExecutions, opListHistory, opClaimTasks, opNextDue, opExtendLeases,
		opReleaseLeases, opDeliverEvent, opListWaits, opPing, opClose}
	is := &instrumentedStore{s: s, m: m, timers: make(map[string]prometheus.Observer, len(ops))}
	for _, op := range ops {
		// Created up front so that every operation is exported from the
		// first scrape, and the hot path does no label lookup.
		is.timers[op] = m.storeDuration.WithLabelValues(op)
	}
	if p, ok := s.(runbook.PipelinedCommitter); ok {
		// The engine looks for the interface on the store it is given.
		return &instrumentedPipelinedStore{instrumentedStore: is, p: p}
	}
	return is
}

// Unwrap returns the store InstrumentStore wrapped in s, or s itself when
// it is not such a decorator.
func Unwrap(s runbook.Store) runbook.Store {
	switch w := s.(type) {
	case *instrumentedStore:
		return w.s
	case *instrumentedPipelinedStore:
		return w.s
	}
	return s
}

// instrumentedStore is the runbook.Store decorator InstrumentStore returns.
type instrumentedStore struct {
	s      runbook.Store
	m      *Metrics
	timers map[string]prometheus.Observer
}

// done records one call of op that started at start and returned err.
func (i *instrumentedStore) done(op string, start time.Time, err error) {
	i.timers[op].Observe(time.Since(start).Seconds())
	if err != nil {
		i.m.storeErrors.WithLabelValues(op, runbook.ErrorCode(err)).Inc()
	}
}

func (i *instrumentedStore) PutRunbook(ctx context.Context, rec *runbook.RunbookRecord) (*runbook.RunbookRecord, error) {
	start := time.Now()
	out, err := i.s.PutRunbook(ctx, rec)
	i.done(opPutRunbook, start, err)
	return out, err
}

func (i *instrumentedStore) GetRunbook(ctx context.Context, id, version string) (*runbook.RunbookRecord, error) {
	start := time.Now()
	out, err := i.s.GetRunbook(ctx, id, version)
	i.done(opGetRunbook, start, err)
	return out, err
}

func (i *instrumentedStore) ListRunbookVersions(ctx context.Context, id string) ([]*runbook.RunbookRecord, error) {
	start := time.Now()
	out, err := i.s.ListRunbookVersions(ctx, id)
	i.done(opListRunbookVersions, start, err)
	return out, err
}

func (i *instrumentedStore) ListRunbooks(ctx context.Context) ([]*runbook.RunbookRecord, error) {
	start := time.Now()
	out, err := i.s.ListRunbooks(ctx)
	i.done(opListRunbooks, start, err)
	return out, err
}

func (i *instrumentedStore) Commit(ctx context.Context, txs []*runbook.Transition) ([]runbook.CommitResult, error) {
	start := time.Now()
	out, err := i.s.Commit(ctx, txs)
	i.done(opCommit, start, err)
	return out, err
}

// DefersRows reports whether the wrapped store accepts
// Transition.DeferRows.
func (i *instrumentedStore) DefersRows() bool {
	d, ok := i.s.(runbook.RowDeferrer)
	return ok && d.DefersRows()
}

// WatchTasks forwards the task notifications of the store it wraps, and
// is unsupported when that store sends none.
func (i *instrumentedStore) WatchTasks(ctx context.Context, wake func()) error {
	n, ok := i.s.(runbook.TaskNotifier)
	if !ok {
		return &runbook.Error{Code: runbook.EUNSUPPORTED, Message: "the store sends no task notifications"}
	}
	return n.WatchTasks(ctx, wake)
}

// ReferenceTime forwards the clock of the store it wraps, and is
// unsupported when that store has none.
func (i *instrumentedStore) ReferenceTime(ctx context.Context) (time.Time, error) {
	r, ok := i.s.(runbook.ClockReference)
	if !ok {
		return time.Time{}, &runbook.Error{Code: runbook.EUNSUPPORTED, Message: "the store has no clock"}
	}
	return r.ReferenceTime(ctx)
}

// instrumentedPipelinedStore is InstrumentStore's decorator of a store
// that is a runbook.PipelinedCommitter: it is one too. A pipelined commit
// is timed from its call until its wait returns, as Commit is.
type instrumentedPipelinedStore struct {
	*instrumentedStore
	p runbook.PipelinedCommitter
}

func (i *instrumentedPipelinedStore) CommitPipelined(ctx context.Context, txs []*runbook.Transition) func() ([]runbook.CommitResult, error) {
	start := time.Now()
	wait := i.p.CommitPipelined(ctx, txs)
	return func() ([]runbook.CommitResult, error) {
		out, err := wait()
		i.done(opCommit, start, err)
		return out, err
	}
}

func (i *instrumentedStore) GetExecution(ctx context.Context, id string) (*runbook.ExecutionRecord, []*runbook.StepRecord, error) {
	start := time.Now()
	rec, steps, err := i.s.GetExecution(ctx, id)
	i.done(opGetExecution, start, err)
	return rec, steps, err
}

func (i *instrumentedStore) FindExecutionByKey(ctx context.Context, tenantID, key string) (string, error) {
	start := time.Now()
	out, err := i.s.FindExecutionByKey(ctx, tenantID, key)
	i.done(opFindExecutionByKey, start, err)
	return out, err
}

func (i *instrumentedStore) ListExecutions(ctx context.Context, f runbook.ExecutionFilter) ([]*runbook.ExecutionRecord, error) {
	start := time.Now()
	out, err := i.s.ListExecutions(ctx, f)
	i.done(opListExecutions, start, err)
	return out, err
}

func (i *instrumentedStore) ListHistory(ctx context.Context, id string, afterSeq int64, limit int) ([]runbook.Event, error) {
	start := time.Now()
	out, err := i.s.ListHistory(ctx, id, afterSeq, limit)
	i.done(opListHistory, start, err)
	return out, err
}

func (i *instrumentedStore) ClaimTasks(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*runbook.Task, error) {
	start := time.Now()
	out, err := i.s.ClaimTasks(ctx, owner, now, leaseUntil, limit)
	i.done(opClaimTasks, start, err)
	return out, err
}

func (i *instrumentedStore) NextDue(ctx context.Context) (time.Time, bool, error) {
	start := time.Now()
	t, ok, err := i.s.NextDue(ctx)
	i.done(opNextDue, start, err)
	return t, ok, err
}

func (i *instrumentedStore) ExtendLeases(ctx context.Context, owner string, until time.Time) error {
	start := time.Now()
	err := i.s.ExtendLeases(ctx, owner, until)
	i.done(opExtendLeases, start, err)
	return err
}

func (i *instrumentedStore) ReleaseLeases(ctx context.Context, owner string) error {
	start := time.Now()
	err := i.s.ReleaseLeases(ctx, owner)
	i.done(opReleaseLeases, start, err)
	return err
}

func (i *instrumentedStore) DeliverEvent(ctx context.Context, ev *runbook.InboxEvent) ([]*runbook.Wait, error) {
	start := time.Now()
	out, err := i.s.DeliverEvent(ctx, ev)
	i.done(opDeliverEvent, start, err)
	return out, err
}

func (i *instrumentedStore) ListWaits(ctx context.Context, f runbook.WaitFilter) ([]*runbook.Wait, error) {
	start := time.Now()
	out, err := i.s.ListWaits(ctx, f)
	i.done(opListWaits, start, err)
	return out, err
}

func (i *instrumentedStore) Ping(ctx context.Context) error {
	start := time.Now()
	err := i.s.Ping(ctx)
	i.done(opPing, start, err)
	return err
}

func (i *instrumentedStore) Close() error {
	start := time.Now()
	err := i.s.Close()
	i.done(opClose, start, err)
	return err
}
