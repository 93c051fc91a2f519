package memory

import (
	"context"
	"sort"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
)

// PutRunbook stores a definition under (ID, Version), or returns the stored
// record when it has the same hash.
func (s *Store) PutRunbook(ctx context.Context, rec *runbook.RunbookRecord) (*runbook.RunbookRecord, error) {
	if err := contract.CheckRunbook(rec); err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	versions := s.runbooks[rec.ID]
	for _, r := range versions {
		if r.Version != rec.Version {
			continue
		}
		if r.Hash != rec.Hash {
			return nil, contract.ErrRunbookConflict(rec.ID, rec.Version)
		}
		return copyRunbook(r), nil
	}
	c := copyRunbook(rec)
	// Keep versions ordered by CreatedAt; equal times stay in insertion order.
	i := sort.Search(len(versions), func(i int) bool { return versions[i].CreatedAt.After(c.CreatedAt) })
	versions = append(versions, nil)
	copy(versions[i+1:], versions[i:])
	versions[i] = c
	s.runbooks[rec.ID] = versions
	return copyRunbook(c), nil
}

// GetRunbook returns one version of a runbook.
func (s *Store) GetRunbook(ctx context.Context, id, version string) (*runbook.RunbookRecord, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	for _, r := range s.runbooks[id] {
		if r.Version == version {
			return copyRunbook(r), nil
		}
	}
	return nil, contract.ErrRunbookNotFound(id, version)
}

// ListRunbookVersions returns every version of a runbook, oldest first,
// without their definitions.
func (s *Store) ListRunbookVersions(ctx context.Context, id string) ([]*runbook.RunbookRecord, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	versions := s.runbooks[id]
	if len(versions) == 0 {
		return nil, contract.ErrRunbookIDNotFound(id)
	}
	out := make([]*runbook.RunbookRecord, len(versions))
	for i, r := range versions {
		out[i] = summary(r)
	}
	return out, nil
}

// ListRunbooks returns every version of every runbook, ordered by id then
// creation, without their definitions.
func (s *Store) ListRunbooks(ctx context.Context) ([]*runbook.RunbookRecord, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.runbooks))
	for id := range s.runbooks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []*runbook.RunbookRecord
	for _, id := range ids {
		for _, r := range s.runbooks[id] {
			out = append(out, summary(r))
		}
	}
	return out, nil
}

// summary returns a copy of r without its definition, as the lists return
// records.
func summary(r *runbook.RunbookRecord) *runbook.RunbookRecord {
	c := *r
	c.Definition = nil
	return &c
}
