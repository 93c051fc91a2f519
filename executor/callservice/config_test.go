package callservice

import (
	"reflect"
	"testing"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor"
)

// TestFastConfigMatchesTheGeneralDecoder checks that the hot-path decoder
// reads every config exactly as the JSON round trip does, and gives way to
// it for shapes it does not handle.
func TestFastConfigMatchesTheGeneralDecoder(t *testing.T) {
	t.Parallel()
	configs := []map[string]any{
		{"url": "https://x.example/a", "method": "POST"},
		{"url": "https://x.example/a", "method": "GET", "protocol": "http", "idempotencyKey": "k-1", "timeoutMs": float64(2500),
			"maxResponseBytes": float64(1024), "headers": map[string]any{"X-A": "1", "X-N": float64(7), "X-B": true},
			"query": map[string]any{"q": "a b", "n": float64(3)}, "body": map[string]any{"nested": []any{"x", float64(1)}}},
		{"url": "https://x.example/a", "method": "POST", "body": "text"},
		{"url": "https://x.example/a", "method": "POST", "evidence": map[string]any{"type": "t", "confidence": 0.5}},
		{"url": "https://x.example/a", "method": "POST", "timeoutMs": 2.5},
		{"url": "https://x.example/a", "method": "POST", "headers": map[string]any{"X-A": map[string]any{}}},
		{"url": float64(3), "method": "POST"},
	}
	for i, m := range configs {
		var want runbook.CallServiceConfig
		wantErr := executor.DecodeConfig(stringifyHeaders(m), &want)
		got, err := decodeConfig(m)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("config %d: error %v, want %v", i, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(*got, want) {
			t.Fatalf("config %d:\n got %+v\nwant %+v", i, *got, want)
		}
	}
}
