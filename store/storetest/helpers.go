package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

// at returns a fixed instant plus sec seconds, in UTC at microsecond
// precision with a non-zero microsecond part.
func at(sec int) time.Time {
	return time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC).Add(time.Duration(sec) * time.Second)
}

// execID returns the n-th execution id; ids sort like their numbers, as
// UUIDv7 ids sort by creation.
func execID(n int) string {
	return fmt.Sprintf("01950000-0000-7000-8000-%012d", n)
}

func newRunbook(id, version string, created time.Time) *runbook.RunbookRecord {
	def := []byte(fmt.Sprintf(`{"id":%q,"version":%q,"steps":[]}`, id, version))
	sum := sha256.Sum256(def)
	return &runbook.RunbookRecord{
		ID: id, Version: version, Name: "Runbook " + id, Description: "triage " + id, StepCount: 3,
		Definition: def, Hash: hex.EncodeToString(sum[:]), CreatedAt: created,
	}
}

// newExecution returns the row of a new execution with Seq 1.
func newExecution(id, tenant, key string) *runbook.ExecutionRecord {
	return &runbook.ExecutionRecord{
		ID: id, RunbookID: "triage", RunbookVersion: "1.0.0", TenantID: tenant, IdempotencyKey: key,
		Status: runbook.ExecutionRunning, Seq: 1, CreatedAt: at(0), UpdatedAt: at(0),
		Data: []byte(`{"id":"` + id + `"}`),
	}
}

// event returns a history event with an output, as the engine appends.
func event(seq int64, typ runbook.EventType, stepID string) runbook.Event {
	return runbook.Event{
		Seq: seq, Type: typ, Time: at(int(seq)), Actor: "engine", StepID: stepID,
		Output: map[string]any{"seq": float64(seq), "tags": []any{"a", "b"}},
	}
}

// createTx returns the transition that creates rec (whose Seq is the
// number of events to append).
func createTx(rec *runbook.ExecutionRecord) *runbook.Transition {
	t := &runbook.Transition{Create: true, Execution: rec}
	for i := int64(1); i <= rec.Seq; i++ {
		typ := runbook.EventStepStarted
		if i == 1 {
			typ = runbook.EventExecutionStarted
		}
		t.Events = append(t.Events, event(i, typ, ""))
	}
	return t
}

// nextTx returns a transition that appends n events to the execution whose
// stored row is cur, and the row after it.
func nextTx(cur *runbook.ExecutionRecord, n int) *runbook.Transition {
	rec := *cur
	rec.Data = append([]byte(nil), cur.Data...)
	rec.Seq = cur.Seq + int64(n)
	rec.UpdatedAt = at(int(rec.Seq))
	t := &runbook.Transition{Execution: &rec, ExpectedSeq: cur.Seq}
	for i := cur.Seq + 1; i <= rec.Seq; i++ {
		t.Events = append(t.Events, event(i, runbook.EventStepCompleted, "step"))
	}
	return t
}

// commit commits txs and fails the test on a batch error.
func commit(t testing.TB, s runbook.Store, txs ...*runbook.Transition) []runbook.CommitResult {
	t.Helper()
	res, err := s.Commit(t.Context(), txs)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if len(res) != len(txs) {
		t.Fatalf("Commit returned %d results for %d transitions", len(res), len(txs))
	}
	return res
}

// mustCommit commits txs and fails the test if any is refused.
func mustCommit(t testing.TB, s runbook.Store, txs ...*runbook.Transition) []runbook.CommitResult {
	t.Helper()
	res := commit(t, s, txs...)
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("Commit: transition %d refused: %v", i, r.Err)
		}
	}
	return res
}

// create commits the creation of executions and returns their rows.
func create(t testing.TB, s runbook.Store, recs ...*runbook.ExecutionRecord) {
	t.Helper()
	txs := make([]*runbook.Transition, len(recs))
	for i, r := range recs {
		txs[i] = createTx(r)
	}
	mustCommit(t, s, txs...)
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := runbook.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func wantError(t testing.TB, err error, code, message string) {
	t.Helper()
	wantCode(t, err, code)
	if got := runbook.ErrorMessage(err); got != message {
		t.Fatalf("error message = %q, want %q", got, message)
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// equal fails the test unless got and want are deeply equal once empty
// slices are treated as nil.
func equal(t testing.TB, what string, got, want any) {
	t.Helper()
	g, w := normalize(got), normalize(want)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, show(g), show(w))
	}
}

// normalize returns a copy of v's records with empty byte and string
// slices set to nil.
func normalize(v any) any {
	switch x := v.(type) {
	case *runbook.RunbookRecord:
		if x == nil {
			return x
		}
		c := *x
		c.Definition = nilIfEmpty(c.Definition)
		return c
	case []*runbook.RunbookRecord:
		return normalizeAll(x)
	case *runbook.ExecutionRecord:
		if x == nil {
			return x
		}
		c := *x
		c.Data = nilIfEmpty(c.Data)
		return c
	case []*runbook.ExecutionRecord:
		return normalizeAll(x)
	case *runbook.StepRecord:
		if x == nil {
			return x
		}
		c := *x
		c.Data = nilIfEmpty(c.Data)
		return c
	case []*runbook.StepRecord:
		return normalizeAll(x)
	case *runbook.Task:
		if x == nil {
			return x
		}
		c := *x
		c.Payload = nilIfEmpty(c.Payload)
		return c
	case []*runbook.Task:
		return normalizeAll(x)
	case *runbook.Wait:
		if x == nil {
			return x
		}
		c := *x
		if len(c.Approvers) == 0 {
			c.Approvers = nil
		}
		return c
	case []*runbook.Wait:
		return normalizeAll(x)
	case *runbook.InboxEvent:
		if x == nil {
			return x
		}
		c := *x
		c.Payload = nilIfEmpty(c.Payload)
		return c
	case []*runbook.InboxEvent:
		return normalizeAll(x)
	}
	return v
}

func normalizeAll[T any](s []*T) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = normalize(e)
	}
	return out
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func show(v any) string {
	if s, ok := v.([]any); ok {
		parts := make([]string, len(s))
		for i, e := range s {
			parts[i] = fmt.Sprintf("%+v", e)
		}
		return "[\n  " + strings.Join(parts, "\n  ") + "\n]"
	}
	return fmt.Sprintf("%+v", v)
}

// equalEvents compares history events by their JSON encoding.
func equalEvents(t testing.TB, got, want []runbook.Event) {
	t.Helper()
	g, err := json.Marshal(got)
	noErr(t, err)
	w, err := json.Marshal(want)
	noErr(t, err)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !bytes.Equal(g, w) {
		t.Fatalf("events:\n got %s\nwant %s", g, w)
	}
}

// seqs returns the Seq of each event.
func seqs(events []runbook.Event) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.Seq
	}
	return out
}

// taskKeys returns "execution/key" of each task.
func taskKeys(tasks []*runbook.Task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.ExecutionID + "/" + t.Key
	}
	return out
}

func sortedTaskKeys(tasks []*runbook.Task) []string {
	out := taskKeys(tasks)
	sort.Strings(out)
	return out
}

// ids returns the ID of each execution.
func ids(recs []*runbook.ExecutionRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// waitNames returns "execution/step/iteration" of each wait.
func waitNames(ws []*runbook.Wait) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = fmt.Sprintf("%s/%s/%d", w.ExecutionID, w.StepID, w.Iteration)
	}
	return out
}

// equalStrings compares two string lists, nil and empty alike.
func equalStrings(t testing.TB, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}
