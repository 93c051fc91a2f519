package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func started() *execState {
	s := &execState{ID: "x", Steps: map[string]*stepState{}}
	ev := runbook.Event{Seq: 1, Type: runbook.EventExecutionStarted, Time: t0, Start: &runbook.StartInfo{RunbookID: "r", RunbookVersion: "1"}}
	if err := apply(s, &ev); err != nil {
		panic(err)
	}
	return s
}

func TestApplyRejectsIllegalTransitions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		before []runbook.Event
		event  runbook.Event
		want   string
	}{
		{"complete a pending step", nil, runbook.Event{Type: runbook.EventStepCompleted, StepID: "a", Attempt: 1}, "cannot complete a pending step"},
		{"start twice", []runbook.Event{{Type: runbook.EventStepStarted, StepID: "a", Attempt: 1}},
			runbook.Event{Type: runbook.EventStepStarted, StepID: "a", Attempt: 2}, "cannot start a running step"},
		{"attempt goes back", []runbook.Event{{Type: runbook.EventStepStarted, StepID: "a", Attempt: 2},
			{Type: runbook.EventStepRetryScheduled, StepID: "a", Attempt: 2, DueAt: &t0}},
			runbook.Event{Type: runbook.EventStepStarted, StepID: "a", Attempt: 1}, "does not follow"},
		{"retry a completed step", []runbook.Event{{Type: runbook.EventStepStarted, StepID: "a", Attempt: 1}, {Type: runbook.EventStepCompleted, StepID: "a", Attempt: 1}},
			runbook.Event{Type: runbook.EventStepRetried, StepID: "a"}, "cannot apply StepRetried to a completed step"},
		{"resume a running execution", nil, runbook.Event{Type: runbook.EventExecutionResumed}, "cannot resume a running execution"},
		{"step after the end", []runbook.Event{{Type: runbook.EventExecutionCancelled}},
			runbook.Event{Type: runbook.EventStepStarted, StepID: "a", Attempt: 1}, "execution is cancelled"},
		{"approval on a running step", []runbook.Event{{Type: runbook.EventStepStarted, StepID: "a", Attempt: 1}},
			runbook.Event{Type: runbook.EventApprovalRecorded, StepID: "a", Approval: &runbook.Approval{ApproverID: "x"}}, "cannot record an approval"},
		{"iteration out of order", []runbook.Event{{Type: runbook.EventStepStarted, StepID: "l", Attempt: 1},
			{Type: runbook.EventLoopStarted, StepID: "l", Items: []any{1, 2, 3}, MaxIterations: 3, Concurrency: 1}},
			runbook.Event{Type: runbook.EventStepStarted, StepID: "l", Iteration: 2, Attempt: 1}, "iterations must start in order"},
		{"unknown event", nil, runbook.Event{Type: "Teleported", StepID: "a"}, "unknown event type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := started()
			for _, ev := range c.before {
				ev.Seq, ev.Time = s.Seq+1, t0
				if err := apply(s, &ev); err != nil {
					t.Fatalf("setup event %s: %v", ev.Type, err)
				}
			}
			ev := c.event
			ev.Seq, ev.Time = s.Seq+1, t0
			err := apply(s, &ev)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("apply = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestApplyRejectsGapsAndAHistoryWithoutStart(t *testing.T) {
	t.Parallel()
	s := &execState{ID: "x", Steps: map[string]*stepState{}}
	if err := apply(s, &runbook.Event{Seq: 1, Type: runbook.EventStepStarted, StepID: "a", Attempt: 1}); err == nil {
		t.Fatal("a history must begin with ExecutionStarted")
	}
	s = started()
	if err := apply(s, &runbook.Event{Seq: 3, Type: runbook.EventExecutionPaused}); err == nil {
		t.Fatal("a gap in sequence numbers must be rejected")
	}
}

// TestGoldenHistories replays recorded histories through the state machine
// and compares the result with the expected state: a change of apply that
// alters how existing histories fold shows up here.
func TestGoldenHistories(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.history.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden histories: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var history []runbook.Event
			if err := json.Unmarshal(data, &history); err != nil {
				t.Fatal(err)
			}
			s, err := replay("golden", history)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(goldenView(s), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			wantFile := strings.TrimSuffix(f, ".history.json") + ".state.json"
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				if err := os.WriteFile(wantFile, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
				t.Fatalf("folded state differs from %s:\n%s", wantFile, got)
			}
		})
	}
}

func goldenView(s *execState) map[string]any {
	steps := map[string]any{}
	for id, ss := range s.Steps {
		entry := map[string]any{"status": ss.Status, "attempt": ss.Attempt}
		if ss.Output != nil {
			entry["output"] = ss.Output
		}
		if ss.Error != nil {
			entry["error"] = ss.Error.Message
		}
		if ss.SkipReason != "" {
			entry["skipReason"] = ss.SkipReason
		}
		if len(ss.Approvals) > 0 {
			entry["approvals"] = len(ss.Approvals)
		}
		if ss.Loop != nil {
			entry["iterations"] = len(ss.Loop.Iterations)
		}
		steps[id] = entry
	}
	return map[string]any{"status": s.Status, "error": s.Error, "output": s.Output, "seq": s.Seq, "steps": steps}
}
