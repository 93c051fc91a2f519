package sqlite

import "testing"

// TestPKCacheBoundsAndForgets checks that the cache keeps at most its
// bound, and forgets the executions that ended, also when the same
// commit taught it their key.
func TestPKCacheBoundsAndForgets(t *testing.T) {
	c := newPKCache(2)
	c.update(map[string]int64{"a": 1}, nil)
	c.update(map[string]int64{"b": 2, "c": 3}, nil)
	if n := len(c.m); n != 2 {
		t.Fatalf("cache holds %d keys, want its bound 2", n)
	}
	if pk, ok := c.get("a"); !ok || pk != 1 {
		t.Fatalf("get(a) = %d, %v; want 1, true", pk, ok)
	}
	c.update(map[string]int64{"d": 4}, []string{"a", "d"})
	for _, id := range []string{"a", "d"} {
		if _, ok := c.get(id); ok {
			t.Fatalf("%s ended but is still cached", id)
		}
	}
	c.update(map[string]int64{"e": 5}, nil)
	if pk, ok := c.get("e"); !ok || pk != 5 {
		t.Fatalf("get(e) after room was made = %d, %v; want 5, true", pk, ok)
	}
}
