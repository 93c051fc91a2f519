package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/runbookhq/runbook"
)

// txn builds one transition of one execution: it emits events (applying
// each to the state at once, so later decisions see it) and derives from
// them the rows, tasks and waits the store must change atomically.
type txn struct {
	e    *Engine
	a    *actor // the locked actor of the execution
	ctx  context.Context
	s    *execState
	p    *plan
	now  time.Time
	base int64 // the stored seq the transition builds on
	err  error

	create bool
	// runbookVersions is the creation's condition on its runbook (see
	// runbook.Transition.RunbookVersions).
	runbookVersions int
	events          []runbook.Event
	touched         []stepKey // instances whose rows change, in first-touch order
	putTasks        []*runbook.Task
	delTasks        []runbook.TaskRef
	putWaits        []*runbook.Wait
	delWaits        []runbook.WaitRef
	clearAll        bool
	matches         []*runbook.InboxQuery
	matchFor        []stepKey

	// after commit: tasks this node runs at once (with the prepared
	// attempts of run tasks, by key), attempts to interrupt.
	local []*runbook.Task
	preps map[string]*attemptPrep
	// childDone marks instances whose child's end was recorded here.
	childDone  map[stepKey]bool
	interrupts []attemptRef
	inbox      [][]*runbook.InboxEvent
	// arena holds the encoded documents until the commit returns.
	arena *jsonArena
	// parts is the store transition built by transition(), recycled with t.
	parts transitionParts
	// handOff, when set, receives the first attempt of this execution that
	// the transition starts here, for the worker that made the transition
	// to run next itself (see continuation) instead of dispatching it.
	handOff *continuation
	// baseStatus is the status the transition starts from.
	baseStatus runbook.ExecutionStatus
}

// newTxn starts a transition of s; releaseTxn recycles it.
func (e *Engine) newTxn(ctx context.Context, s *execState, p *plan) *txn {
	t, _ := e.txns.Get().(*txn)
	if t == nil {
		t = &txn{events: make([]runbook.Event, 0, 2)}
	}
	t.e, t.ctx, t.s, t.p, t.now, t.base, t.baseStatus = e, ctx, s, p, e.now(), s.Seq, s.Status
	return t
}

// maxPooledItems bounds the lists a recycled transition keeps, so that
// one large transition (a loop's start) does not pin its memory.
const maxPooledItems = 16

// releaseTxn recycles t once nothing refers to it or to its lists: the
// store has copied what it keeps, afterCommit has handed on what outlives
// it (tasks and prepared attempts are their own objects, watchers get a
// copy of the events).
func (e *Engine) releaseTxn(t *txn) {
	preps, childDone := t.preps, t.childDone
	if len(preps) > maxPooledItems {
		preps = nil
	}
	if len(childDone) > maxPooledItems {
		childDone = nil
	}
	clear(preps)
	clear(childDone)
	*t = txn{
		events:     recycle(t.events),
		touched:    recycle(t.touched),
		putTasks:   recycle(t.putTasks),
		delTasks:   recycle(t.delTasks),
		putWaits:   recycle(t.putWaits),
		delWaits:   recycle(t.delWaits),
		matches:    recycle(t.matches),
		matchFor:   recycle(t.matchFor),
		local:      recycle(t.local),
		preps:      preps,
		childDone:  childDone,
		interrupts: recycle(t.interrupts),
	}
	e.txns.Put(t)
}

// recycle empties a list for reuse, dropping what its elements point to;
// a long list is dropped whole.
func recycle[T any](s []T) []T {
	if cap(s) > maxPooledItems {
		return nil
	}
	clear(s[:cap(s)])
	return s[:0]
}

// fail aborts the transition: an engine bug, never a user error.
func (t *txn) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

// emit appends an event and applies it with its effects.
func (t *txn) emit(ev runbook.Event) {
	if t.err != nil {
		return
	}
	ev.Seq = t.s.Seq + 1
	if ev.Time.IsZero() {
		ev.Time = t.now
	}
	k := stepKey{ev.StepID, ev.Iteration}
	var prev stepState
	if ev.StepID != "" {
		if ss := t.s.instance(k); ss != nil {
			prev = *ss
		}
	}
	if err := apply(t.s, &ev); err != nil {
		t.fail(&runbook.Error{Code: runbook.EINTERNAL, Message: "internal error", Err: err})
		return
	}
	t.events = append(t.events, ev)
	if ev.StepID != "" {
		if !slices.Contains(t.touched, k) {
			t.touched = append(t.touched, k)
		}
	}
	t.effects(&ev, k, &prev)
}

// Task keys: one task of each kind per step instance at most.
func taskKey(kind string, k stepKey) string {
	if k.iter > 0 {
		return fmt.Sprintf("%s:%s#%d", kind, k.step, k.iter)
	}
	return kind + ":" + k.step
}

const (
	keyGlobal = "global"
	keyStart  = "start"
	keyCancel = "cancel"
)

// effects derives tasks and waits from an event just applied; prev is the
// instance as it was before.
func (t *txn) effects(ev *runbook.Event, k stepKey, prev *stepState) {
	id := t.s.ID
	switch ev.Type {
	case runbook.EventExecutionStarted:
		if t.s.Deadline != nil {
			t.putTimer(&runbook.Task{ExecutionID: id, Key: keyGlobal, Kind: runbook.TaskTimer, Timer: runbook.TimerGlobal, DueAt: *t.s.Deadline})
		}

	case runbook.EventStepStarted:
		if !t.inline(k) {
			task := &runbook.Task{ExecutionID: id, Key: taskKey("run", k), Kind: runbook.TaskRun, StepID: k.step, Iteration: k.iter, Attempt: ev.Attempt}
			if t.e.cfg.ExclusiveStore {
				// The step row, now running, is the durable record of the
				// attempt: Start re-runs it after a crash.
				task.DueAt, task.Owner, task.Deliveries = t.now, t.e.node, 1
				t.local = append(t.local, task)
			} else {
				t.putLocal(task)
			}
		}

	case runbook.EventStepRetryScheduled:
		t.endAttempt(k, prev)
		t.putTimer(&runbook.Task{ExecutionID: id, Key: taskKey("retry", k), Kind: runbook.TaskTimer, Timer: runbook.TimerRetry,
			StepID: k.step, Iteration: k.iter, Attempt: ev.Attempt, DueAt: *ev.DueAt})

	case runbook.EventChildFinished:
		if t.childDone == nil {
			t.childDone = map[stepKey]bool{}
		}
		t.childDone[k] = true

	case runbook.EventStepCompleted, runbook.EventStepFailed, runbook.EventStepCancelled:
		t.endAttempt(k, prev)
		if prev.ChildID != "" && prev.Status == runbook.StepRunning && !t.childDone[k] {
			// The step ends before its child (cancel, timeout): the
			// child is cancelled too.
			t.putLocal(&runbook.Task{ExecutionID: prev.ChildID, Key: keyCancel, Kind: runbook.TaskCancel,
				Payload: t.payload(cancelPayload{Actor: actorOr(ev.Actor), Reason: childCancelReason(id, ev)})})
		}

	case runbook.EventTimerFired:
		switch ev.Timer {
		case runbook.TimerRetry:
			t.delTasks = append(t.delTasks, runbook.TaskRef{ExecutionID: id, Key: taskKey("retry", k)})
		case runbook.TimerApproval, runbook.TimerEvent, runbook.TimerChild:
			t.delTasks = append(t.delTasks, runbook.TaskRef{ExecutionID: id, Key: taskKey("timeout", k)})
		case runbook.TimerGlobal:
			t.delTasks = append(t.delTasks, runbook.TaskRef{ExecutionID: id, Key: keyGlobal})
		}

	case runbook.EventApprovalRequested, runbook.EventEventAwaited, runbook.EventChildStarted:
		w := ev.Wait
		wait := &runbook.Wait{ExecutionID: id, StepID: k.step, Iteration: k.iter, Kind: w.Kind, TenantID: t.s.Context.TenantID,
			EventType: w.EventType, CorrelationID: w.CorrelationID, Approvers: w.Approvers, Deadline: w.Deadline,
			CreatedAt: ev.Time, Since: t.s.StartTime}
		t.putWaits = append(t.putWaits, wait)
		if !w.Deadline.IsZero() {
			timer := map[runbook.WaitKind]runbook.TimerKind{
				runbook.WaitApproval: runbook.TimerApproval, runbook.WaitEvent: runbook.TimerEvent, runbook.WaitChild: runbook.TimerChild,
			}[w.Kind]
			t.putTimer(&runbook.Task{ExecutionID: id, Key: taskKey("timeout", k), Kind: runbook.TaskTimer, Timer: timer,
				StepID: k.step, Iteration: k.iter, DueAt: w.Deadline})
		}
		if w.Kind == runbook.WaitEvent {
			t.matches = append(t.matches, &runbook.InboxQuery{TenantID: wait.TenantID, Type: w.EventType, CorrelationID: w.CorrelationID, Since: t.s.StartTime})
			t.matchFor = append(t.matchFor, k)
		}

	case runbook.EventExecutionCompleted, runbook.EventExecutionFailed, runbook.EventExecutionCancelled:
		t.clearAll = true
		if t.s.ParentID != "" {
			payload := childPayload{ChildID: id, Status: t.s.Status, Output: t.s.Output, Error: t.s.Error}
			t.putLocal(&runbook.Task{ExecutionID: t.s.ParentID, Key: taskKey("child", stepKey{t.s.ParentStepID, t.s.ParentIteration}),
				Kind: runbook.TaskChild, StepID: t.s.ParentStepID, Iteration: t.s.ParentIteration, Payload: t.payload(payload)})
		}
	}
}

// childCancelReason says why a child execution is cancelled by its parent.
func childCancelReason(parentID string, ev *runbook.Event) string {
	why := ev.Reason
	if why == "" && ev.Error != nil {
		why = ev.Error.Message
	}
	return fmt.Sprintf("parent execution %s no longer waits for it: step %q %s: %s", parentID, ev.StepID,
		strings.TrimPrefix(strings.ToLower(string(ev.Type)), "step"), why)
}

// endAttempt removes what an instance in its previous status had pending:
// the run task of an attempt, a retry timer, a wait and its timer.
func (t *txn) endAttempt(k stepKey, prev *stepState) {
	id := t.s.ID
	switch {
	case prev.Status == runbook.StepRunning && prev.ChildID != "":
		t.delWaits = append(t.delWaits, runbook.WaitRef{ExecutionID: id, StepID: k.step, Iteration: k.iter})
		t.delTasks = append(t.delTasks, runbook.TaskRef{ExecutionID: id, Key: taskKey("child", k)})
		if prev.Wait != nil && !prev.Wait.Deadline.IsZero() {
			t.dropTask(runbook.TaskRef{ExecutionID: id, Key: taskKey("timeout", k)})
		}
	case prev.Status == runbook.StepRunning && !t.inline(k):
		if t.e.cfg.ExclusiveStore {
			t.dropLocal(id, taskKey("run", k))
		} else {
			t.dropTask(runbook.TaskRef{ExecutionID: id, Key: taskKey("run", k)})
		}
		t.interrupts = append(t.interrupts, attemptRef{k, prev.Attempt})
	case prev.Status == runbook.StepRetrying:
		t.dropTask(runbook.TaskRef{ExecutionID: id, Key: taskKey("retry", k)})
	case prev.parked():
		t.delWaits = append(t.delWaits, runbook.WaitRef{ExecutionID: id, StepID: k.step, Iteration: k.iter})
		if prev.Wait != nil && !prev.Wait.Deadline.IsZero() {
			t.dropTask(runbook.TaskRef{ExecutionID: id, Key: taskKey("timeout", k)})
		}
	}
}

// dropTask removes a task: one put by this transition is taken back (so
// that the store does not write it after the deletes), any other is
// deleted.
func (t *txn) dropTask(ref runbook.TaskRef) {
	same := func(task *runbook.Task) bool { return task.ExecutionID == ref.ExecutionID && task.Key == ref.Key }
	for i, task := range t.putTasks {
		if same(task) {
			t.putTasks = append(t.putTasks[:i], t.putTasks[i+1:]...)
			for j, l := range t.local {
				if l == task {
					t.local = append(t.local[:j], t.local[j+1:]...)
					break
				}
			}
			delete(t.preps, ref.Key)
			break
		}
	}
	t.delTasks = append(t.delTasks, ref)
}

// dropLocal takes back a local task this transition made but did not
// write (see Config.ExclusiveStore). Tasks that ran already are unaffected:
// their worker finds the step no longer running.
func (t *txn) dropLocal(executionID, key string) {
	for j, l := range t.local {
		if l.ExecutionID == executionID && l.Key == key {
			t.local = append(t.local[:j], t.local[j+1:]...)
			delete(t.preps, key)
			return
		}
	}
}

// inline reports whether the instance's executor runs inside transitions.
func (t *txn) inline(k stepKey) bool {
	def := t.p.stepDef(k)
	if def == nil {
		return true
	}
	_, ok := t.e.cfg.Executors[def.Type].(runbook.InlineExecutor)
	return ok
}

// putLocal adds a task due now that this node runs right after the commit.
func (t *txn) putLocal(task *runbook.Task) {
	task.DueAt = t.now
	task.Owner = t.e.node
	task.LeaseExpiresAt = t.now.Add(t.e.cfg.LeaseDuration)
	task.Deliveries = 1
	t.putTasks = append(t.putTasks, task)
	t.local = append(t.local, task)
}

// putTimer adds a task due later; one already due runs locally at once.
func (t *txn) putTimer(task *runbook.Task) {
	if !task.DueAt.After(t.now) {
		due := task.DueAt
		t.putLocal(task)
		task.DueAt = due
		return
	}
	t.putTasks = append(t.putTasks, task)
}

// transition returns the store transition of everything emitted. Its
// documents (rows and events as JSON) are encoded here, on the worker,
// not by the store on its single commit path, into an arena that commit
// recycles.
func (t *txn) transition() (*runbook.Transition, error) {
	a := t.e.arenas.get()
	t.arena = a
	fail := func(what string, err error) (*runbook.Transition, error) {
		return nil, fmt.Errorf("encode %s of execution %s: %w", what, t.s.ID, err)
	}
	deferred := t.defersRows()
	for _, k := range t.touched {
		t.s.markDirty(k)
	}
	execDoc := -1
	var err error
	if !deferred {
		execDoc, err = a.add(t.s)
		if err != nil {
			return fail("state", err)
		}
	}
	staticDoc := -1
	if t.create {
		if staticDoc, err = a.add(staticData{Input: t.s.Input, Context: t.s.Context}); err != nil {
			return fail("input", err)
		}
	}
	var docsBuf [4]int
	eventDocs := docsBuf[:0]
	if len(t.events) > len(docsBuf) {
		eventDocs = make([]int, 0, len(t.events))
	}
	for i := range t.events {
		doc, err := a.add(&t.events[i])
		if err != nil {
			return fail(fmt.Sprintf("event %d", t.events[i].Seq), err)
		}
		eventDocs = append(eventDocs, doc)
	}
	// The rows of every instance changed since they were last written;
	// if the commit fails, the engine drops this state and reads it again.
	var dirty []stepKey
	if !deferred {
		dirty = t.s.dirty
		t.s.dirty = nil
		t.s.rowsSeq = t.s.Seq
	}
	var stepsBuf [4]stepDoc
	steps := stepsBuf[:0]
	if len(dirty) > len(stepsBuf) {
		steps = make([]stepDoc, 0, len(dirty))
	}
	for _, k := range dirty {
		ss := t.s.instance(k)
		if ss == nil {
			continue
		}
		doc, err := a.add(ss)
		if err != nil {
			return fail("step "+ss.StepID, err)
		}
		steps = append(steps, stepDoc{ss, doc})
	}

	// The transition, its execution row and the list of its encoded events
	// live in t, recycled with it: the store copies what it keeps.
	parts := &t.parts
	tr, rec := &parts.tr, &parts.rec
	fillExecutionRow(rec, t.s)
	if execDoc >= 0 {
		rec.Data = a.doc(execDoc)
	}
	if staticDoc >= 0 {
		rec.Static = a.doc(staticDoc)
	}
	encoded := parts.encoded[:0]
	if len(eventDocs) > len(parts.encoded) {
		encoded = make([][]byte, 0, len(eventDocs))
	}
	for _, d := range eventDocs {
		encoded = append(encoded, a.doc(d))
	}
	*tr = runbook.Transition{
		EncodedEvents: encoded,
		Execution:     rec,
		ExpectedSeq:   t.base,
		Create:        t.create,
		Events:        t.events,
		PutTasks:      t.putTasks,
		DeleteTasks:   t.delTasks,
		PutWaits:      t.putWaits,
		DeleteWaits:   t.delWaits,
		ClearAll:      t.clearAll,
		MatchInbox:    t.matches,
		DeferRows:     deferred,
		// Set by createExecution only, for a creation.
		RunbookVersions: t.runbookVersions,
	}
	if len(steps) > 0 {
		tr.Steps = make([]*runbook.StepRecord, len(steps))
		rows := make([]runbook.StepRecord, len(steps))
		for i, sd := range steps {
			rows[i] = runbook.StepRecord{ExecutionID: t.s.ID, StepID: sd.ss.StepID, Iteration: sd.ss.Iteration,
				Status: sd.ss.Status, Data: a.doc(sd.doc)}
			tr.Steps[i] = &rows[i]
		}
	}
	return tr, nil
}

// transitionParts is a store transition with the parts it points to.
type transitionParts struct {
	tr      runbook.Transition
	rec     runbook.ExecutionRecord
	encoded [2][]byte
}

// stepDoc is a step instance and the index of its encoded row.
type stepDoc struct {
	ss  *stepState
	doc int
}

// maxDeferredEvents bounds the events appended after an execution's stored
// rows, which every read of the execution from the store folds onto them.
const maxDeferredEvents = 32

// defersRows reports whether the transition leaves the execution's rows
// (its document and its step rows) as they are (Transition.DeferRows): on
// a store that allows it, the rows are written when the execution starts,
// when its status changes (the status is in the row, and lists filter on
// it) and once maxDeferredEvents events have been appended since they
// were; in between, the history alone records the transitions.
func (t *txn) defersRows() bool {
	return t.e.defersRows && !t.create && t.s.Status == t.baseStatus && t.s.Seq-t.s.rowsSeq <= maxDeferredEvents
}

// empty reports whether the transition changes nothing.
func (t *txn) empty() bool {
	return len(t.events) == 0 && len(t.putTasks) == 0 && len(t.delTasks) == 0 && len(t.putWaits) == 0 &&
		len(t.delWaits) == 0 && !t.create
}

// childPayload is the payload of a TaskChild: how a child execution ended.
type childPayload struct {
	ChildID string                  `json:"childId"`
	Status  runbook.ExecutionStatus `json:"status"`
	Output  any                     `json:"output,omitempty"`
	Error   string                  `json:"error,omitempty"`
}

// cancelPayload is the payload of a TaskCancel.
type cancelPayload struct {
	Actor  string `json:"actor"`
	Reason string `json:"reason"`
}

// payload encodes a task payload; a value that cannot be encoded aborts the
// transition.
func (t *txn) payload(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.fail(fmt.Errorf("encode task payload: %w", err))
	}
	return b
}
