package memory

import (
	"bytes"
	"testing"
)

// TestEventLogKeepsEveryEvent appends events of many sizes, some larger
// than a chunk, and reads each one back whole and unchanged.
func TestEventLogKeepsEveryEvent(t *testing.T) {
	var l eventLog
	var want [][]byte
	for i := range 300 {
		size := 1 + (i*37)%700
		if i%50 == 7 {
			size = 3 * maxChunkBytes // larger than any chunk
		}
		doc := bytes.Repeat([]byte{byte('a' + i%26)}, size)
		doc[0] = byte(i)
		l.append(doc)
		want = append(want, doc)
		doc[1%len(doc)] = '!' // the log keeps its own copy
	}
	if l.len() != len(want) {
		t.Fatalf("len = %d, want %d", l.len(), len(want))
	}
	for i, w := range want {
		got := l.event(i)
		w = bytes.Repeat([]byte{byte('a' + i%26)}, len(w))
		w[0] = byte(i)
		if !bytes.Equal(got, w) {
			t.Fatalf("event %d: got %d bytes %v..., want %d bytes %v...", i, len(got), got[:min(4, len(got))], len(w), w[:min(4, len(w))])
		}
	}
	for _, c := range l.chunks {
		if cap(c) > maxChunkBytes && len(c) != cap(c) {
			t.Fatalf("oversized chunk (cap %d) holds %d bytes: it should hold exactly its one event", cap(c), len(c))
		}
	}
}
