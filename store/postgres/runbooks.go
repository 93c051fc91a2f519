package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// PutRunbook stores a definition under (ID, Version), or returns the stored
// record when it has the same hash. Stored definitions never change, so
// the insert and the read of a conflicting row need no transaction.
func (s *Store) PutRunbook(ctx context.Context, rec *runbook.RunbookRecord) (*runbook.RunbookRecord, error) {
	if err := contract.CheckRunbook(rec); err != nil {
		return nil, err
	}
	if err := checkText(fmt.Sprintf("runbook %q", rec.ID), rec.ID, rec.Version, rec.Name, rec.Description, rec.Hash); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	ct, err := s.pool.Exec(ctx, `INSERT INTO runbooks (`+sqlrow.RunbookColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id, version) DO NOTHING`,
		rec.ID, rec.Version, rec.Name, rec.Description, rec.StepCount, sqlrow.Blob(rec.Definition), rec.Hash, sqlrow.Micros(rec.CreatedAt))
	if err != nil {
		return nil, failure(fmt.Sprintf("put runbook %s %s", rec.ID, rec.Version), err)
	}
	if ct.RowsAffected() == 1 {
		return sqlrow.StoredRunbook(rec), nil
	}
	stored, err := s.getRunbook(ctx, rec.ID, rec.Version)
	if err != nil {
		return nil, failure(fmt.Sprintf("put runbook %s %s", rec.ID, rec.Version), err)
	}
	if stored.Hash != rec.Hash {
		return nil, contract.ErrRunbookConflict(rec.ID, rec.Version)
	}
	return stored, nil
}

// GetRunbook returns one version of a runbook.
func (s *Store) GetRunbook(ctx context.Context, id, version string) (*runbook.RunbookRecord, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if !storable(id) || !storable(version) {
		return nil, contract.ErrRunbookNotFound(id, version)
	}
	r, err := s.getRunbook(ctx, id, version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, contract.ErrRunbookNotFound(id, version)
	}
	if err != nil {
		return nil, failure(fmt.Sprintf("get runbook %s %s", id, version), err)
	}
	return r, nil
}

func (s *Store) getRunbook(ctx context.Context, id, version string) (*runbook.RunbookRecord, error) {
	return sqlrow.ScanRunbook(s.pool.QueryRow(ctx, `SELECT `+sqlrow.RunbookColumns+` FROM runbooks WHERE id = $1 AND version = $2`, id, version))
}

// ListRunbookVersions returns every version of a runbook, oldest first,
// without their definitions.
func (s *Store) ListRunbookVersions(ctx context.Context, id string) ([]*runbook.RunbookRecord, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if !storable(id) {
		return nil, contract.ErrRunbookIDNotFound(id)
	}
	out, err := queryAll(ctx, s, sqlrow.ScanRunbookSummary, `SELECT `+sqlrow.RunbookSummaryColumns+` FROM runbooks WHERE id = $1 ORDER BY created_at, pk`, id)
	if err != nil {
		return nil, failure(fmt.Sprintf("list versions of runbook %s", id), err)
	}
	if len(out) == 0 {
		return nil, contract.ErrRunbookIDNotFound(id)
	}
	return out, nil
}

// ListRunbooks returns every version of every runbook, ordered by id then
// creation, without their definitions.
func (s *Store) ListRunbooks(ctx context.Context) ([]*runbook.RunbookRecord, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	out, err := queryAll(ctx, s, sqlrow.ScanRunbookSummary, `SELECT `+sqlrow.RunbookSummaryColumns+` FROM runbooks ORDER BY id, created_at, pk`)
	if err != nil {
		return nil, failure("list runbooks", err)
	}
	return out, nil
}
