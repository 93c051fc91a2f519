package sqlite

import (
	"testing"

	"github.com/runbookhq/runbook"
)

// TestExecCacheBoundsAndForgets checks that the cache keeps at most its
// bound but still updates the entries it holds when full, forgets the
// executions that ended, also when the same commit taught it their entry,
// and forgets the executions of a failed commit.
func TestExecCacheBoundsAndForgets(t *testing.T) {
	c := newExecCache(2)
	c.update(map[string]execEntry{"a": {pk: 1, seq: 1}}, nil)
	c.update(map[string]execEntry{"b": {pk: 2, seq: 1}, "c": {pk: 3, seq: 1}}, nil)
	if n := len(c.m); n != 2 {
		t.Fatalf("cache holds %d keys, want its bound 2", n)
	}
	if e, ok := c.get("a"); !ok || e.pk != 1 {
		t.Fatalf("get(a) = %+v, %v; want pk 1, true", e, ok)
	}
	c.update(map[string]execEntry{"a": {pk: 1, seq: 7}}, nil)
	if e, ok := c.get("a"); !ok || e.seq != 7 {
		t.Fatalf("get(a) after a commit with the cache full = %+v, %v; want seq 7", e, ok)
	}
	c.update(map[string]execEntry{"d": {pk: 4}}, []string{"a", "d"})
	for _, id := range []string{"a", "d"} {
		if _, ok := c.get(id); ok {
			t.Fatalf("%s ended but is still cached", id)
		}
	}
	c.update(map[string]execEntry{"e": {pk: 5}}, nil)
	if e, ok := c.get("e"); !ok || e.pk != 5 {
		t.Fatalf("get(e) after room was made = %+v, %v; want pk 5, true", e, ok)
	}
	c.forget([]*runbook.Transition{{Execution: &runbook.ExecutionRecord{ID: "e"}}, nil, {}})
	if _, ok := c.get("e"); ok {
		t.Fatal("e was in a failed commit but is still cached")
	}
}
