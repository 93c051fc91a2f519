package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
)

// printEvent prints one live-view line for the events a user follows.
func printEvent(w io.Writer, ev *runbook.Event, since time.Duration) {
	mark := ""
	switch ev.Type {
	case runbook.EventStepStarted:
		mark = "▶"
	case runbook.EventStepCompleted, runbook.EventExecutionCompleted:
		mark = "✓"
	case runbook.EventStepFailed, runbook.EventExecutionFailed:
		mark = "✗"
	case runbook.EventStepRetryScheduled:
		mark = "↻"
	case runbook.EventStepSkipped:
		mark = "↷"
	case runbook.EventStepCancelled, runbook.EventExecutionCancelled:
		mark = "■"
	case runbook.EventApprovalRequested, runbook.EventEventAwaited, runbook.EventExecutionPaused:
		mark = "⏸"
	case runbook.EventApprovalRecorded, runbook.EventEventReceived, runbook.EventChildFinished, runbook.EventLoopStarted,
		runbook.EventExecutionResumed, runbook.EventStepRetried, runbook.EventChildStarted, runbook.EventTimerFired:
		mark = "•"
	default:
		return
	}
	fmt.Fprintf(w, "%8s %s %s\n", since.Round(time.Millisecond), mark, engine.DescribeEvent(ev))
}

// printSummary prints the step table and the outcome of an execution.
func printSummary(w io.Writer, rb *runbook.Runbook, x *runbook.Execution) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tTYPE\tSTATUS\tATTEMPTS\tDURATION\tDETAIL")
	ids := make([]string, 0, len(x.StepResults))
	order := map[string]int{}
	for i, s := range rb.Steps {
		order[s.ID] = i
	}
	for id := range x.StepResults {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return order[ids[i]] < order[ids[j]] })
	for _, id := range ids {
		r := x.StepResults[id]
		dur := "-"
		if r.DurationMs != nil {
			dur = (time.Duration(*r.DurationMs) * time.Millisecond).String()
		}
		detail := r.Error
		if r.Skipped {
			detail = r.SkipReason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", id, r.Type, r.Status, r.AttemptNumber, dur, truncate(detail, 80))
	}
	tw.Flush()
	fmt.Fprintln(w)
	took := ""
	if x.DurationMs != nil {
		took = " in " + (time.Duration(*x.DurationMs) * time.Millisecond).String()
	}
	fmt.Fprintf(w, "execution %s %s%s\n", x.ID, x.Status, took)
	if x.Error != "" {
		fmt.Fprintf(w, "error: %s\n", x.Error)
	}
	if x.Output != nil {
		b, err := json.MarshalIndent(x.Output, "", "  ")
		if err == nil {
			fmt.Fprintf(w, "output: %s\n", b)
		}
	}
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
