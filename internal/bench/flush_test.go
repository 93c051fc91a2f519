package bench

import (
	"os"
	"testing"
)

// The flush baseline times every write and leaves nothing behind in the
// store's directory.
func TestMeasureFlushLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p, err := measureFlush(dir, 20)
	if err != nil {
		t.Fatal(err)
	}
	if !(p.P50 >= 0 && p.P50 <= p.P95 && p.P95 <= p.P99) {
		t.Fatalf("percentiles %+v: want 0 <= p50 <= p95 <= p99", p)
	}
	if left, err := os.ReadDir(dir); err != nil || len(left) != 0 {
		t.Fatalf("left in the directory: %v, %v", left, err)
	}
	if _, err := measureFlush(dir+"/missing", 1); err == nil {
		t.Fatal("no error for a directory that does not exist")
	}
}
