package engine

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/runbookhq/runbook"
)

// BenchmarkApply folds a recorded history (a loop over three items) into a
// state: the cost of rebuilding an execution from its history, per event.
func BenchmarkApply(b *testing.B) {
	data, err := os.ReadFile("testdata/golden/loop-three-items.history.json")
	if err != nil {
		b.Fatal(err)
	}
	var history []runbook.Event
	if err := json.Unmarshal(data, &history); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := replay("bench", history); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(history)), "ns/event")
}
