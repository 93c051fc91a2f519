package sqlrow

import (
	"strconv"
	"strings"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/store/internal/contract"
)

// Placeholder writes the n-th (from 1) bound parameter of a statement:
// "?" for SQLite, "$n" for PostgreSQL.
type Placeholder func(n int) string

// Question is SQLite's placeholder.
func Question(int) string { return "?" }

// Dollar is PostgreSQL's placeholder.
func Dollar(n int) string { return "$" + strconv.Itoa(n) }

// ListExecutionsQuery returns the statement and arguments of
// Store.ListExecutions: the executions f selects, newest first (by
// descending id), at most f.Limit of them (contract.DefaultListLimit when
// not set), as columns: ExecutionColumns or expressions that read as them.
func ListExecutionsQuery(f runbook.ExecutionFilter, ph Placeholder, columns string) (string, []any) {
	var where []string
	var args []any
	for _, c := range []struct {
		column, value string
	}{
		{"runbook_id = ", f.RunbookID},
		{"status = ", string(f.Status)},
		{"tenant_id = ", f.TenantID},
		{"id < ", f.Cursor},
	} {
		if c.value != "" {
			args = append(args, c.value)
			where = append(where, c.column+ph(len(args)))
		}
	}
	query := `SELECT ` + columns + ` FROM executions`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = contract.DefaultListLimit
	}
	args = append(args, limit)
	return query + ` ORDER BY id DESC LIMIT ` + ph(len(args)), args
}
