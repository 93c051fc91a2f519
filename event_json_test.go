package runbook_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/internal/jsonw/jsonwtest"
)

// TestEventAppendJSONMatchesEncodingJSON fills every field of events at
// random (a new field is filled too) and compares the hand-written encoder
// with json.Marshal, byte for byte.
func TestEventAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 3000 {
		var ev runbook.Event
		jsonwtest.Fill(r, &ev)
		got, err := ev.AppendJSON(nil)
		want, werr := json.Marshal(&ev)
		if (err != nil) != (werr != nil) {
			t.Fatalf("event %d: error %v, encoding/json %v", i, err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func TestStepLogAndErrorAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 1000 {
		var l runbook.StepLog
		jsonwtest.Fill(r, &l)
		got, err := l.AppendJSON(nil)
		if want, _ := json.Marshal(&l); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("log: got %s (%v), want %s", got, err, want)
		}
		var e runbook.StepError
		jsonwtest.Fill(r, &e)
		got, err = e.AppendJSON(nil)
		if want, _ := json.Marshal(&e); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("error: got %s (%v), want %s", got, err, want)
		}
	}
}
