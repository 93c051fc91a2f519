package engine

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// actor serialises the transitions of one execution on this node and
// caches its state while the execution has work here. Parked and finished
// executions have no actor: they cost no memory but their stored rows.
type actor struct {
	mu    sync.Mutex
	state *execState // nil until loaded; dropped when a commit fails
	// inflight maps attempts running on this node to how to interrupt
	// them (guarded by mu); count mirrors its size for eviction.
	inflight map[stepKey]*inflightAttempt
	count    atomic.Int32
	refs     int // guarded by the shard's mutex
}

const actorShards = 64

// actorTable is a sharded map of live actors.
type actorTable struct {
	seed   maphash.Seed
	shards [actorShards]actorShard
}

type actorShard struct {
	mu     sync.Mutex
	actors map[string]*actor
}

func newActorTable() *actorTable {
	t := &actorTable{seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].actors = map[string]*actor{}
	}
	return t
}

func (t *actorTable) shard(id string) *actorShard {
	return &t.shards[maphash.String(t.seed, id)%actorShards]
}

// acquire returns the locked actor of an execution, creating it if needed.
func (t *actorTable) acquire(id string) *actor {
	sh := t.shard(id)
	sh.mu.Lock()
	a := sh.actors[id]
	if a == nil {
		a = &actor{inflight: map[stepKey]*inflightAttempt{}}
		sh.actors[id] = a
	}
	a.refs++
	sh.mu.Unlock()
	a.mu.Lock()
	return a
}

// inflightAttempt is an attempt running on this node.
type inflightAttempt struct {
	cancel  context.CancelCauseFunc
	attempt int
	since   time.Time // when it started, on the engine's clock
}

// release unlocks the actor and forgets it when nobody holds it and no
// attempt of the execution runs on this node.
func (t *actorTable) release(id string, a *actor) {
	a.mu.Unlock()
	sh := t.shard(id)
	sh.mu.Lock()
	a.refs--
	if a.refs == 0 && a.count.Load() == 0 {
		delete(sh.actors, id)
	}
	sh.mu.Unlock()
}

// runningSince returns the executions with an attempt that has been
// running on this node since before t.
func (t *actorTable) runningSince(before time.Time) []string {
	var ids []string
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		var live []*actor
		var names []string
		for id, a := range sh.actors {
			if a.count.Load() > 0 {
				live, names = append(live, a), append(names, id)
			}
		}
		sh.mu.Unlock()
		for j, a := range live {
			a.mu.Lock()
			for _, at := range a.inflight {
				if at.since.Before(before) {
					ids = append(ids, names[j])
					break
				}
			}
			a.mu.Unlock()
		}
	}
	return ids
}

// size returns how many actors are live (for tests and metrics).
func (t *actorTable) size() int {
	n := 0
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		n += len(sh.actors)
		sh.mu.Unlock()
	}
	return n
}

// hold counts a task of the execution that runs on this node, keeping its
// actor (and cached state) alive until unhold.
func (t *actorTable) hold(id string) {
	a := t.acquire(id)
	a.count.Add(1)
	t.release(id, a)
}

// unhold ends what hold (or a transition's local dispatch) counted.
func (t *actorTable) unhold(id string) {
	sh := t.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	a := sh.actors[id]
	if a == nil {
		return
	}
	if a.count.Add(-1) == 0 && a.refs == 0 {
		delete(sh.actors, id)
	}
}
