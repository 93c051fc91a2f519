package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/runbookhq/runbook"
)

// failure wraps an error of the database in what the store was doing.
// When the database could not be reached or dropped the connection (a
// restart, a failover) it is an EUNAVAILABLE error, which says that the
// same call may succeed later (an API client gets a 503); any other error
// is wrapped as it is.
func failure(what string, err error) error {
	if !unavailable(err) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return &runbook.Error{
		Code:    runbook.EUNAVAILABLE,
		Message: fmt.Sprintf("%s: the database is unavailable: %s", what, oneLine(err)),
		Err:     err,
	}
}

// unavailable reports an error that says the database is not there for
// now rather than that it refused what was asked: a connection that could
// not be made or was lost, or a server shutting down or starting up.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception. 57P01-57P03: the server was
		// shut down (or the connection terminated) or is starting up.
		// 53300: too many connections.
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300":
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08")
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		pgconn.SafeToRetry(err)
}
