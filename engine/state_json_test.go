package engine

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/runbookhq/runbook/internal/jsonw/jsonwtest"
)

// TestStateAppendJSONMatchesEncodingJSON fills every field of the stored
// documents at random and compares the hand-written encoders with
// json.Marshal, byte for byte.
func TestStateAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 3000 {
		var s execState
		jsonwtest.Fill(r, &s)
		s.Steps, s.ctxData = nil, nil // not part of the document
		got, err := s.AppendJSON(nil)
		want, werr := json.Marshal(&s)
		if (err != nil) != (werr != nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("execution %d:\n got %s (%v)\nwant %s (%v)", i, got, err, want, werr)
		}
		var ss stepState
		jsonwtest.Fill(r, &ss)
		got, err = ss.AppendJSON(nil)
		want, werr = json.Marshal(&ss)
		if (err != nil) != (werr != nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("step %d:\n got %s (%v)\nwant %s (%v)", i, got, err, want, werr)
		}
	}
}
