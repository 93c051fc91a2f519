package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/runbookhq/runbook"
)

// runbookCache keeps prepared definitions by (id, version). Definitions
// are immutable once stored, so entries never go stale.
//
// It also keeps the latest version of each runbook, forgotten whenever
// this engine stores a version. On a store only this process writes, that
// is exact. On a shared store another node may add a version at any time:
// the entry also says how many versions it was chosen from, and a start
// that uses it commits on that condition (Transition.RunbookVersions), so
// that a version stored elsewhere since refuses the start, which forgets
// the entry and chooses again.
type runbookCache struct {
	store     runbook.RunbookStore
	exclusive bool
	mu        sync.RWMutex
	byKey     map[[2]string]*plan
	latest    map[string]latestEntry
	puts      uint64 // versions stored through this cache
}

// latestEntry is the latest version of a runbook and, on a shared store,
// how many versions it was chosen from (0 on an exclusive store).
type latestEntry struct {
	version  string
	versions int
}

func newRunbookCache(store runbook.RunbookStore, exclusive bool) *runbookCache {
	return &runbookCache{store: store, exclusive: exclusive, byKey: map[[2]string]*plan{}, latest: map[string]latestEntry{}}
}

// latestVersion returns the highest stored version of id, from the cache
// when it has it, with the number of versions a start must commit on
// (0: none needed).
func (c *runbookCache) latestVersion(ctx context.Context, id string) (string, int, error) {
	c.mu.RLock()
	e, ok := c.latest[id]
	puts := c.puts
	c.mu.RUnlock()
	if ok {
		return e.version, e.versions, nil
	}
	e, err := c.readLatest(ctx, id)
	if err != nil {
		return "", 0, err
	}
	c.mu.Lock()
	if c.puts == puts { // no version was stored while we read
		c.latest[id] = e
	}
	c.mu.Unlock()
	return e.version, e.versions, nil
}

// currentLatest returns the highest version of id as the store has it
// now: from the cache only on an exclusive store, where it is exact.
func (c *runbookCache) currentLatest(ctx context.Context, id string) (string, error) {
	if c.exclusive {
		v, _, err := c.latestVersion(ctx, id)
		return v, err
	}
	e, err := c.readLatest(ctx, id)
	return e.version, err
}

// readLatest reads the latest version of id from the store.
func (c *runbookCache) readLatest(ctx context.Context, id string) (latestEntry, error) {
	recs, err := c.store.ListRunbookVersions(ctx, id)
	if err != nil {
		return latestEntry{}, err
	}
	e := latestEntry{version: latest(recs).Version}
	if !c.exclusive {
		e.versions = len(recs)
	}
	return e, nil
}

// forgetLatest drops the cached latest version of id: a start that used
// it was refused because another version was stored since.
func (c *runbookCache) forgetLatest(id string) {
	c.mu.Lock()
	delete(c.latest, id)
	c.mu.Unlock()
}

// put stores a version and forgets the cached latest version of its id.
func (c *runbookCache) put(ctx context.Context, rec *runbook.RunbookRecord) (*runbook.RunbookRecord, error) {
	stored, err := c.store.PutRunbook(ctx, rec)
	c.mu.Lock()
	c.puts++
	delete(c.latest, rec.ID)
	c.mu.Unlock()
	return stored, err
}

func (c *runbookCache) get(ctx context.Context, id, version string) (*plan, error) {
	key := [2]string{id, version}
	c.mu.RLock()
	p := c.byKey[key]
	c.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	rec, err := c.store.GetRunbook(ctx, id, version)
	if err != nil {
		return nil, err
	}
	rb, err := decodeRunbook(rec)
	if err != nil {
		return nil, err
	}
	if p, err = newPlan(rb); err != nil {
		return nil, fmt.Errorf("prepare runbook %s version %s: %w", id, version, err)
	}
	c.mu.Lock()
	c.byKey[key] = p
	c.mu.Unlock()
	return p, nil
}

func decodeRunbook(rec *runbook.RunbookRecord) (*runbook.Runbook, error) {
	rb := &runbook.Runbook{}
	if err := json.Unmarshal(rec.Definition, rb); err != nil {
		return nil, fmt.Errorf("decode runbook %s version %s: %w", rec.ID, rec.Version, err)
	}
	return rb, nil
}

// PutRunbook stores a validated definition. Storing the same content again
// is accepted; different content under an existing id and version is an
// ECONFLICT error. It returns the stored record and whether it was new.
func (e *Engine) PutRunbook(ctx context.Context, rb *runbook.Runbook) (*runbook.RunbookRecord, bool, error) {
	def, err := json.Marshal(rb)
	if err != nil {
		return nil, false, fmt.Errorf("encode runbook %s: %w", rb.ID, err)
	}
	sum := sha256.Sum256(def)
	rec := &runbook.RunbookRecord{
		ID:          rb.ID,
		Version:     rb.Version,
		Name:        rb.Name,
		Description: rb.Description,
		StepCount:   len(rb.Steps),
		Definition:  def,
		Hash:        hex.EncodeToString(sum[:]),
		CreatedAt:   e.now(),
	}
	stored, err := e.runbooks.put(ctx, rec)
	if err != nil {
		return nil, false, err
	}
	return stored, stored.CreatedAt.Equal(rec.CreatedAt), nil
}

// GetRunbook returns a stored definition; an empty version means the
// latest (highest by runbook.CompareVersions).
func (e *Engine) GetRunbook(ctx context.Context, id, version string) (*runbook.Runbook, error) {
	if version == "" {
		latest, err := e.latestVersion(ctx, id)
		if err != nil {
			return nil, err
		}
		version = latest
	}
	p, err := e.runbooks.get(ctx, id, version)
	if err != nil {
		return nil, err
	}
	return p.rb, nil
}

func (e *Engine) latestVersion(ctx context.Context, id string) (string, error) {
	return e.runbooks.currentLatest(ctx, id)
}

// latest returns the highest version of a non-empty list of versions of
// one runbook; among equal versions, the last stored.
func latest(recs []*runbook.RunbookRecord) *runbook.RunbookRecord {
	best := recs[0]
	for _, r := range recs[1:] {
		if runbook.CompareVersions(r.Version, best.Version) >= 0 {
			best = r
		}
	}
	return best
}

// ListRunbooks returns the latest version of every runbook, by id.
func (e *Engine) ListRunbooks(ctx context.Context) ([]*runbook.RunbookRecord, error) {
	recs, err := e.store.ListRunbooks(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string][]*runbook.RunbookRecord{}
	var ids []string
	for _, r := range recs {
		if _, ok := byID[r.ID]; !ok {
			ids = append(ids, r.ID)
		}
		byID[r.ID] = append(byID[r.ID], r)
	}
	sort.Strings(ids)
	out := make([]*runbook.RunbookRecord, 0, len(ids))
	for _, id := range ids {
		out = append(out, latest(byID[id]))
	}
	return out, nil
}

// ListRunbookVersions returns every stored version of a runbook, oldest
// first.
func (e *Engine) ListRunbookVersions(ctx context.Context, id string) ([]*runbook.RunbookRecord, error) {
	return e.store.ListRunbookVersions(ctx, id)
}
