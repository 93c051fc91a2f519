package sqlite

import (
	"sync"

	"github.com/runbookhq/runbook"
)

// execEntry is what the write path checks of an execution before it
// writes a transition: the row's integer pk, by which its history and step
// rows refer to it, the seq of its last event, its status and its
// identity (fixed at creation).
type execEntry struct {
	pk     int64
	seq    int64
	status runbook.ExecutionStatus
	tenant string
	key    string
}

// execCache remembers the execEntry of executions that are still running,
// so that a commit checks and writes their transitions without reading
// their row: its optimistic check (the expected seq) is made here, and a
// transition with DeferRows then writes no execution row at all. Only the
// write path uses it; a miss costs one read of the row and of its last
// event (sqlSelectExecutionCurrent).
//
// The cache can stand for the rows because this process is the only one
// that writes to the database (the store holds its lock file) and every
// write goes through the one write connection. An entry is added or
// changed only once the transaction that wrote it has committed, forgotten
// when a commit that touched its execution fails (its outcome is then not
// known), and dropped when its execution ends.
type execCache struct {
	mu  sync.Mutex
	max int
	m   map[string]execEntry
}

// maxCachedExecutions bounds the cache: about 150 bytes an entry.
// Executions beyond it (parked in very large numbers) are read from the
// database.
const maxCachedExecutions = 100_000

func newExecCache(max int) *execCache {
	return &execCache{max: max, m: make(map[string]execEntry)}
}

func (c *execCache) get(id string) (execEntry, bool) {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	return e, ok
}

// update applies what a committed transaction learned: entries to
// remember or change, and ids of executions that ended.
func (c *execCache) update(learned map[string]execEntry, ended []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range learned {
		if _, ok := c.m[id]; ok || len(c.m) < c.max {
			c.m[id] = e
		}
	}
	for _, id := range ended {
		delete(c.m, id)
	}
}

// forget drops the entries of the executions of transitions whose commit
// failed.
func (c *execCache) forget(txs []*runbook.Transition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range txs {
		if t != nil && t.Execution != nil {
			delete(c.m, t.Execution.ID)
		}
	}
}
