package sqlite

import "sync"

// pkCache remembers the integer pk of executions that are still running,
// so that a commit writes their history and step rows, and updates their
// execution row, by pk: without it, every one of those rows costs a
// lookup of the execution's text id in its unique index. Only the write
// path uses it; a miss costs one such lookup.
//
// An entry is added only once the transaction that inserted or first
// looked up the row has committed (a pk of a rolled-back insert would be
// given to the next execution), and dropped when its execution ends. The
// store never deletes an execution row, so a pk never changes for an id;
// the UPDATE still checks the id with the pk.
type pkCache struct {
	mu  sync.Mutex
	max int
	m   map[string]int64
}

// maxCachedPKs bounds the cache: about 100 bytes an entry. Executions
// beyond it (parked in very large numbers) are looked up by id.
const maxCachedPKs = 100_000

func newPKCache(max int) *pkCache {
	return &pkCache{max: max, m: make(map[string]int64)}
}

func (c *pkCache) get(id string) (int64, bool) {
	c.mu.Lock()
	pk, ok := c.m[id]
	c.mu.Unlock()
	return pk, ok
}

// update applies what a committed transaction learned: pks to remember,
// and ids of executions that ended.
func (c *pkCache) update(learned map[string]int64, ended []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, pk := range learned {
		if len(c.m) >= c.max {
			break
		}
		c.m[id] = pk
	}
	for _, id := range ended {
		delete(c.m, id)
	}
}
