package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook"
)

// When the database drops the store's connections (a restart, a
// failover), a call that was using one fails as unavailable, which tells
// API clients and the engine to try again, and the next call works on a
// new connection.
func TestALostConnectionIsUnavailableAndTheStoreRecovers(t *testing.T) {
	t.Parallel()
	var random [6]byte
	_, _ = rand.Read(random[:])
	app := "runbook_test_" + hex.EncodeToString(random[:])
	s := openStore(t, schemaURI(t)+"&application_name="+app+"&pool_max_conns=1")
	mustCommit(t, s, newExecution(execID(1)))

	admin, err := pgx.Connect(t.Context(), testURI)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var terminated int
	err = admin.QueryRow(t.Context(),
		`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&terminated)
	if err != nil || terminated != 1 {
		t.Fatalf("terminated %d connections of the store: %v", terminated, err)
	}

	_, _, err = s.GetExecution(t.Context(), execID(1))
	if runbook.ErrorCode(err) != runbook.EUNAVAILABLE || !strings.Contains(err.Error(), "the database is unavailable") {
		t.Fatalf("a call on the lost connection: %v (code %q), want an %s error", err, runbook.ErrorCode(err), runbook.EUNAVAILABLE)
	}
	if _, _, err := s.GetExecution(t.Context(), execID(1)); err != nil {
		t.Fatalf("the call after: %v", err)
	}
}
