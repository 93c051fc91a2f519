package memory

import (
	"context"
	"sync"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
)

// Store is an in-memory runbook.Store. The zero value is not usable; call
// New.
type Store struct {
	mu     sync.Mutex
	closed bool

	runbooks map[string][]*runbook.RunbookRecord // by id, oldest first

	executions map[string]*execution
	ids        []string // every execution id, ascending
	keys       map[tenantKey]string

	tasks taskIndex
	waits waitIndex
	inbox inboxIndex
}

var _ runbook.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		runbooks:   make(map[string][]*runbook.RunbookRecord),
		executions: make(map[string]*execution),
		keys:       make(map[tenantKey]string),
		tasks:      newTaskIndex(),
		waits:      newWaitIndex(),
		inbox:      newInboxIndex(),
	}
}

// lock takes the store's mutex unless ctx is done or the store is closed;
// on success the caller must unlock s.mu.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return contract.ErrClosed()
	}
	return nil
}

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}

// Close marks the store closed; later calls return an EUNAVAILABLE error.
// Closing twice is not an error.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
