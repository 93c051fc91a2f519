package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
	"github.com/runbookhq/runbook/store/internal/sqlrow"
)

// PutRunbook stores a definition under (ID, Version), or returns the stored
// record when it has the same hash.
func (s *Store) PutRunbook(ctx context.Context, rec *runbook.RunbookRecord) (*runbook.RunbookRecord, error) {
	if err := contract.CheckRunbook(rec); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	var out *runbook.RunbookRecord
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Conn) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO runbooks (`+sqlrow.RunbookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id, version) DO NOTHING`,
			rec.ID, rec.Version, rec.Name, rec.Description, rec.StepCount, sqlrow.Blob(rec.Definition), rec.Hash, sqlrow.Micros(rec.CreatedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			out = sqlrow.StoredRunbook(rec)
			return nil
		}
		stored, err := sqlrow.ScanRunbook(tx.QueryRowContext(ctx, `SELECT `+sqlrow.RunbookColumns+` FROM runbooks WHERE id = ? AND version = ?`, rec.ID, rec.Version))
		if err != nil {
			return err
		}
		if stored.Hash != rec.Hash {
			return contract.ErrRunbookConflict(rec.ID, rec.Version)
		}
		out = stored
		return nil
	})
	if err != nil {
		if runbook.ErrorCode(err) == runbook.ECONFLICT {
			return nil, err
		}
		return nil, fmt.Errorf("put runbook %s %s: %w", rec.ID, rec.Version, err)
	}
	return out, nil
}

// GetRunbook returns one version of a runbook.
func (s *Store) GetRunbook(ctx context.Context, id, version string) (*runbook.RunbookRecord, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	r, err := sqlrow.ScanRunbook(s.r.QueryRowContext(ctx, `SELECT `+sqlrow.RunbookColumns+` FROM runbooks WHERE id = ? AND version = ?`, id, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, contract.ErrRunbookNotFound(id, version)
	}
	if err != nil {
		return nil, fmt.Errorf("get runbook %s %s: %w", id, version, err)
	}
	if err := s.durable(); err != nil {
		return nil, fmt.Errorf("get runbook %s %s: %w", id, version, err)
	}
	return r, nil
}

// ListRunbookVersions returns every version of a runbook, oldest first,
// without their definitions.
func (s *Store) ListRunbookVersions(ctx context.Context, id string) ([]*runbook.RunbookRecord, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	out, err := s.queryRunbooks(ctx, `SELECT `+sqlrow.RunbookSummaryColumns+` FROM runbooks WHERE id = ? ORDER BY created_at, pk`, id)
	if err != nil {
		return nil, fmt.Errorf("list versions of runbook %s: %w", id, err)
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
	out, err := s.queryRunbooks(ctx, `SELECT `+sqlrow.RunbookSummaryColumns+` FROM runbooks ORDER BY id, created_at, pk`)
	if err != nil {
		return nil, fmt.Errorf("list runbooks: %w", err)
	}
	return out, nil
}

// queryRunbooks reads rows of RunbookSummaryColumns.
func (s *Store) queryRunbooks(ctx context.Context, query string, args ...any) ([]*runbook.RunbookRecord, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := sqlrow.AppendAll(nil, rows, sqlrow.ScanRunbookSummary)
	if err != nil {
		return nil, err
	}
	return out, s.durable()
}
