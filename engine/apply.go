package engine

import (
	"fmt"
	"time"

	"github.com/runbookhq/runbook"
)

// apply folds one history event into the state. It is the engine's only way
// to change an execState, and it rejects every move the transition table below
// does not allow, so that a corrupt or reordered history is detected instead
// of replayed into a wrong state.
func apply(s *execState, ev *runbook.Event) error {
	if ev.Seq != s.Seq+1 {
		return fmt.Errorf("event %d (%s) does not follow event %d", ev.Seq, ev.Type, s.Seq)
	}
	if ev.Type != runbook.EventExecutionStarted && s.Seq == 0 {
		return fmt.Errorf("history must begin with %s, not %s", runbook.EventExecutionStarted, ev.Type)
	}
	if err := applyEvent(s, ev); err != nil {
		return fmt.Errorf("apply event %d (%s%s): %w", ev.Seq, ev.Type, describeStep(ev), err)
	}
	s.Seq = ev.Seq
	s.UpdatedAt = ev.Time
	s.LogCount += 1 + len(ev.Logs)
	s.EvidenceCount += len(ev.Evidence)
	s.refreshStatus()
	return nil
}

func describeStep(ev *runbook.Event) string {
	switch {
	case ev.StepID == "":
		return ""
	case ev.Iteration > 0:
		return fmt.Sprintf(" of step %q iteration %d", ev.StepID, ev.Iteration)
	}
	return fmt.Sprintf(" of step %q", ev.StepID)
}

func applyEvent(s *execState, ev *runbook.Event) error {
	t := ev.Time
	switch ev.Type {
	case runbook.EventExecutionStarted:
		if s.Seq != 0 {
			return fmt.Errorf("execution already started")
		}
		if ev.Start == nil {
			return fmt.Errorf("missing start details")
		}
		st := ev.Start
		s.RunbookID, s.RunbookVersion = st.RunbookID, st.RunbookVersion
		s.Input, s.Context = st.Input, st.Context
		s.IdempotencyKey = st.IdempotencyKey
		s.ParentID, s.ParentStepID, s.ParentIteration = st.ParentExecutionID, st.ParentStepID, st.ParentIteration
		s.Depth, s.MaxDepth, s.MaxConcurrent = st.Depth, st.MaxDepth, st.MaxConcurrentSteps
		s.Deadline = st.Deadline
		s.OriginalID, s.FromStepID = st.OriginalExecutionID, st.FromStepID
		s.StartTime = t
		s.Status = runbook.ExecutionRunning
		if s.Steps == nil {
			s.Steps = map[string]*stepState{}
		}
		return nil

	case runbook.EventExecutionPaused:
		if !s.Status.Active() {
			return fmt.Errorf("cannot pause a %s execution", s.Status)
		}
		s.Status = runbook.ExecutionPaused
		s.PausedAt = timePtr(t)
		return nil

	case runbook.EventExecutionResumed:
		if s.Status != runbook.ExecutionPaused {
			return fmt.Errorf("cannot resume a %s execution", s.Status)
		}
		s.Status = runbook.ExecutionRunning
		s.PausedAt = nil
		return nil

	case runbook.EventExecutionCancelled:
		if s.Status.Terminal() {
			return fmt.Errorf("cannot cancel a %s execution", s.Status)
		}
		s.Status = runbook.ExecutionCancelled
		s.CancelledBy, s.CancellationReason = ev.Actor, ev.Reason
		s.EndTime = timePtr(t)
		return nil

	case runbook.EventExecutionCompleted:
		if s.Status.Terminal() {
			return fmt.Errorf("cannot complete a %s execution", s.Status)
		}
		s.Status = runbook.ExecutionCompleted
		s.Output = ev.Output
		s.EndTime = timePtr(t)
		return nil

	case runbook.EventExecutionFailed:
		if s.Status.Terminal() {
			return fmt.Errorf("cannot fail a %s execution", s.Status)
		}
		s.Status = runbook.ExecutionFailed
		if ev.Error != nil {
			s.Error = ev.Error.Message
		}
		s.EndTime = timePtr(t)
		return nil
	}

	if s.Status.Terminal() && ev.Type != runbook.EventStepRetried && ev.Type != runbook.EventStepReset &&
		ev.Type != runbook.EventChildFinished {
		return fmt.Errorf("execution is %s", s.Status)
	}
	if ev.Type == runbook.EventTimerFired && ev.Timer == runbook.TimerGlobal {
		return nil
	}
	if ev.StepID == "" {
		return fmt.Errorf("event names no step")
	}
	if ev.Type == runbook.EventStepStarted && ev.Iteration > 0 {
		return startIteration(s, ev)
	}
	ss := s.instance(stepKey{ev.StepID, ev.Iteration})
	if ss == nil {
		if ev.Iteration > 0 {
			return fmt.Errorf("no such iteration")
		}
		ss = &stepState{StepID: ev.StepID, Status: runbook.StepPending}
		s.Steps[ev.StepID] = ss
	}
	return applyStep(s, ss, ev)
}

// startIteration applies StepStarted to a loop iteration, creating it when
// it is the next one.
func startIteration(s *execState, ev *runbook.Event) error {
	loop := s.Steps[ev.StepID]
	if loop == nil || loop.Loop == nil || loop.Status != runbook.StepRunning {
		return fmt.Errorf("step is not a running loop")
	}
	l := loop.Loop
	switch {
	case ev.Iteration == len(l.Iterations)+1:
		if ev.Iteration > l.MaxIterations || (!l.While && ev.Iteration > len(l.Items)) {
			return fmt.Errorf("iteration beyond the loop's limit")
		}
		l.Iterations = append(l.Iterations, &stepState{StepID: ev.StepID, Iteration: ev.Iteration, Status: runbook.StepPending})
	case ev.Iteration > len(l.Iterations):
		return fmt.Errorf("iterations must start in order")
	}
	return applyStep(s, l.Iterations[ev.Iteration-1], ev)
}

func applyStep(s *execState, ss *stepState, ev *runbook.Event) error {
	t := ev.Time
	st := ss.Status
	switch ev.Type {
	case runbook.EventStepStarted:
		if st != runbook.StepPending && st != runbook.StepRetrying {
			return fmt.Errorf("cannot start a %s step", st)
		}
		if ev.Attempt <= ss.Attempt {
			return fmt.Errorf("attempt %d does not follow attempt %d", ev.Attempt, ss.Attempt)
		}
		ss.Status = runbook.StepRunning
		ss.Attempt = ev.Attempt
		if ss.StartTime == nil {
			ss.StartTime = timePtr(t)
		}
		ss.EndTime, ss.NextAttemptAt, ss.RetryDue, ss.Error = nil, nil, false, nil
		return nil

	case runbook.EventStepCompleted:
		if !(st == runbook.StepRunning || ss.parked() || (ev.Reused && st == runbook.StepPending)) {
			return fmt.Errorf("cannot complete a %s step", st)
		}
		ss.Status = runbook.StepCompleted
		ss.Output = ev.Output
		ss.NotTaken = ev.NotTaken
		ss.Reused = ev.Reused
		if ev.Reused && ss.StartTime == nil {
			ss.StartTime = timePtr(t)
		}
		ss.EndTime = timePtr(t)
		ss.Wait, ss.WaitSince = nil, nil
		return nil

	case runbook.EventStepFailed:
		if st != runbook.StepRunning && !ss.parked() {
			return fmt.Errorf("cannot fail a %s step", st)
		}
		ss.Status = runbook.StepFailed
		ss.Error = ev.Error
		ss.EndTime = timePtr(t)
		ss.Wait, ss.WaitSince = nil, nil
		return nil

	case runbook.EventStepRetryScheduled:
		if st != runbook.StepRunning {
			return fmt.Errorf("cannot schedule a retry of a %s step", st)
		}
		ss.Status = runbook.StepRetrying
		ss.Error = ev.Error
		ss.NextAttemptAt = ev.DueAt
		return nil

	case runbook.EventStepSkipped:
		if st != runbook.StepPending {
			return fmt.Errorf("cannot skip a %s step", st)
		}
		ss.Status = runbook.StepSkipped
		ss.SkipReason = ev.Reason
		ss.EndTime = timePtr(t)
		return nil

	case runbook.EventStepCancelled:
		if st.Done() {
			return fmt.Errorf("cannot cancel a %s step", st)
		}
		ss.Status = runbook.StepCancelled
		ss.Error = &runbook.StepError{Message: ev.Reason, Code: runbook.ECANCELLED}
		ss.EndTime = timePtr(t)
		ss.Wait, ss.WaitSince, ss.NextAttemptAt, ss.RetryDue = nil, nil, nil, false
		return nil

	case runbook.EventStepRetried, runbook.EventStepReset:
		want := runbook.StepFailed
		if ev.Type == runbook.EventStepReset {
			want = runbook.StepCancelled
		}
		if st != want {
			return fmt.Errorf("cannot apply %s to a %s step", ev.Type, st)
		}
		if s.Status == runbook.ExecutionCancelled {
			return fmt.Errorf("execution is cancelled")
		}
		ss.Status = runbook.StepPending
		ss.Error, ss.EndTime = nil, nil
		if ss.Loop != nil && ev.Iteration == 0 {
			// A loop keeps its completed iterations; the others run again.
			ss.Status = runbook.StepRunning
			for _, it := range ss.Loop.Iterations {
				if it.Status == runbook.StepFailed || it.Status == runbook.StepCancelled {
					it.Status = runbook.StepPending
					it.Error, it.EndTime = nil, nil
				}
			}
		}
		if s.Status == runbook.ExecutionFailed {
			s.Status = runbook.ExecutionRunning
			s.Error, s.EndTime = "", nil
		}
		return nil

	case runbook.EventLoopStarted:
		if st != runbook.StepRunning || ss.Loop != nil {
			return fmt.Errorf("cannot start the loop of a %s step", st)
		}
		ss.Loop = &loopState{Items: ev.Items, While: ev.While, Concurrency: ev.Concurrency, MaxIterations: ev.MaxIterations}
		if !ev.While && ss.Loop.Items == nil {
			ss.Loop.Items = []any{}
		}
		return nil

	case runbook.EventApprovalRequested, runbook.EventEventAwaited:
		if st != runbook.StepRunning || ev.Wait == nil {
			return fmt.Errorf("cannot park a %s step", st)
		}
		ss.Status = runbook.StepAwaitingApproval
		if ev.Type == runbook.EventEventAwaited {
			ss.Status = runbook.StepAwaitingEvent
		}
		ss.Wait = ev.Wait
		ss.WaitSince = timePtr(t)
		return nil

	case runbook.EventApprovalRecorded:
		if st != runbook.StepAwaitingApproval || ev.Approval == nil {
			return fmt.Errorf("cannot record an approval on a %s step", st)
		}
		ss.Approvals = append(ss.Approvals, *ev.Approval)
		return nil

	case runbook.EventEventReceived:
		if st != runbook.StepAwaitingEvent {
			return fmt.Errorf("cannot receive an event on a %s step", st)
		}
		return nil

	case runbook.EventChildStarted:
		if st != runbook.StepRunning || ev.ChildID == "" {
			return fmt.Errorf("cannot start a child of a %s step", st)
		}
		ss.ChildID = ev.ChildID
		ss.Wait = ev.Wait
		ss.WaitSince = timePtr(t)
		return nil

	case runbook.EventChildFinished:
		if ss.ChildID != ev.ChildID {
			return fmt.Errorf("child %s is not the step's child", ev.ChildID)
		}
		return nil

	case runbook.EventTimerFired:
		switch ev.Timer {
		case runbook.TimerRetry:
			if st != runbook.StepRetrying {
				return fmt.Errorf("retry timer for a %s step", st)
			}
			ss.RetryDue = true
		case runbook.TimerApproval, runbook.TimerEvent:
			if !ss.parked() {
				return fmt.Errorf("wait timer for a %s step", st)
			}
		case runbook.TimerChild:
			if st != runbook.StepRunning || ss.ChildID == "" {
				return fmt.Errorf("child timer for a %s step without a running child", st)
			}
		default:
			return fmt.Errorf("unknown timer %q", ev.Timer)
		}
		return nil
	}
	return fmt.Errorf("unknown event type %q", ev.Type)
}

// refreshStatus derives running / awaiting_approval / awaiting_event from
// the steps of an execution that is neither paused nor ended.
func (s *execState) refreshStatus() {
	if !s.Status.Active() {
		return
	}
	busy, approval, event := false, false, false
	var visit func(ss *stepState)
	visit = func(ss *stepState) {
		switch ss.Status {
		case runbook.StepAwaitingApproval:
			approval = true
		case runbook.StepAwaitingEvent:
			event = true
		case runbook.StepRetrying:
			busy = true
		case runbook.StepRunning:
			if ss.Loop == nil {
				busy = true
				return
			}
			active := false
			for _, it := range ss.Loop.Iterations {
				if !it.Status.Done() {
					active = true
					visit(it)
				}
			}
			if !active {
				busy = true
			}
		}
	}
	for _, ss := range s.Steps {
		visit(ss)
	}
	switch {
	case busy:
		s.Status = runbook.ExecutionRunning
	case approval:
		s.Status = runbook.ExecutionAwaitingApproval
	case event:
		s.Status = runbook.ExecutionAwaitingEvent
	default:
		s.Status = runbook.ExecutionRunning
	}
}

// timePtr returns a pointer to a copy of t.
func timePtr(t time.Time) *time.Time { return &t }
