package sqlrow

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

var (
	local = time.FixedZone("east", 3600)
	when  = time.Date(2025, 3, 1, 13, 0, 0, 123456789, local) // not in UTC, below a microsecond
)

func TestTimes(t *testing.T) {
	t.Parallel()
	got := FromMicros(Micros(when))
	if want := when.Truncate(time.Microsecond).UTC(); !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("FromMicros(Micros(%v)) = %v, want %v", when, got, want)
	}
	if got := FromMicros(Micros(time.Time{})); !got.IsZero() {
		t.Fatalf("the zero time comes back as %v", got)
	}
	if Micros(time.Time{}) >= Micros(time.Unix(0, 0)) {
		t.Fatal("the zero time does not sort before the epoch")
	}
}

func TestBlobs(t *testing.T) {
	t.Parallel()
	for _, b := range [][]byte{nil, {}} {
		if Blob(b) != nil || Unblob(b) != nil {
			t.Fatalf("Blob(%#v), Unblob(%#v) = %#v, %#v; want nil", b, b, Blob(b), Unblob(b))
		}
	}
	b := []byte("x")
	if &Blob(b)[0] != &b[0] || &Unblob(b)[0] != &b[0] {
		t.Fatal("a non-empty blob was copied")
	}
}

func TestApproversJSON(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, `[]`},
		{[]string{}, `[]`},
		{[]string{"alice", `b"ob`}, `["alice","b\"ob"]`},
	} {
		if got := ApproversJSON(c.in); got != c.want {
			t.Errorf("ApproversJSON(%#v) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestEncodeEvents(t *testing.T) {
	t.Parallel()
	events := []runbook.Event{{Seq: 1, Type: runbook.EventExecutionStarted, Time: when.UTC()}, {Seq: 2, Type: runbook.EventStepStarted, StepID: "a"}}
	tr := &runbook.Transition{Execution: &runbook.ExecutionRecord{ID: "e1"}, Events: events}
	got, err := EncodeEvents(tr)
	if err != nil || len(got) != 2 {
		t.Fatalf("EncodeEvents = %q, %v", got, err)
	}
	for i := range events {
		want, _ := json.Marshal(&events[i])
		if !bytes.Equal(got[i], want) {
			t.Errorf("event %d encoded as %s, want %s", i, got[i], want)
		}
	}
	tr.EncodedEvents = [][]byte{[]byte("one"), []byte("two")}
	if got, err := EncodeEvents(tr); err != nil || string(got[0]) != "one" || string(got[1]) != "two" {
		t.Fatalf("EncodeEvents with EncodedEvents = %q, %v; want them as they are", got, err)
	}
	tr.EncodedEvents = nil
	tr.Events[1].Output = func() {}
	_, err = EncodeEvents(tr)
	var unsupported *json.UnsupportedTypeError
	if runbook.ErrorCode(err) != runbook.EINVALID || !errors.As(err, &unsupported) ||
		runbook.ErrorMessage(err) != `execution "e1": event 2 cannot be stored as JSON` {
		t.Fatalf("EncodeEvents of an unencodable event = %v", err)
	}
}

func TestStoredRunbook(t *testing.T) {
	t.Parallel()
	rec := &runbook.RunbookRecord{ID: "rb", Version: "1", Definition: []byte(`{}`), Hash: "h", CreatedAt: when}
	got := StoredRunbook(rec)
	if got == rec || &got.Definition[0] == &rec.Definition[0] {
		t.Fatal("StoredRunbook shares memory with its argument")
	}
	want := *rec
	want.CreatedAt = FromMicros(Micros(when))
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("StoredRunbook = %+v, want %+v", got, &want)
	}
	if rec.CreatedAt != when {
		t.Fatal("StoredRunbook changed its argument")
	}
	if got := StoredRunbook(&runbook.RunbookRecord{Definition: []byte{}}); got.Definition != nil {
		t.Fatalf("StoredRunbook of an empty definition = %#v, want nil", got.Definition)
	}
}
