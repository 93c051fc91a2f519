package contract

import "github.com/runbookhq/runbook"

// DefaultListLimit is the number of executions ListExecutions returns when
// the filter's Limit is zero or negative.
const DefaultListLimit = 100

// ErrClosed is returned by every method of a store after Close.
func ErrClosed() error {
	return runbook.Errorf(runbook.EUNAVAILABLE, "store is closed")
}

// ErrRunbookNotFound reports an unknown runbook version.
func ErrRunbookNotFound(id, version string) error {
	return runbook.Errorf(runbook.ENOTFOUND, "runbook %q version %q not found", id, version)
}

// ErrRunbookIDNotFound reports a runbook id without any stored version.
func ErrRunbookIDNotFound(id string) error {
	return runbook.Errorf(runbook.ENOTFOUND, "runbook %q not found", id)
}

// ErrRunbookConflict reports a second definition under an existing
// (id, version).
func ErrRunbookConflict(id, version string) error {
	return runbook.Errorf(runbook.ECONFLICT, "runbook %q version %q already exists with different content", id, version)
}

// ErrExecutionNotFound reports an unknown execution.
func ErrExecutionNotFound(id string) error {
	return runbook.Errorf(runbook.ENOTFOUND, "execution %q not found", id)
}

// ErrExecutionExists reports a Create transition for an id already stored.
func ErrExecutionExists(id string) error {
	return runbook.Errorf(runbook.ECONFLICT, "execution %q already exists", id)
}

// ErrRunbookChanged reports a Create transition whose runbook no longer
// has the number of versions the caller saw (Transition.RunbookVersions);
// found is -1 when the store does not say how many it has.
func ErrRunbookChanged(id, runbookID string, saw, found int) error {
	if found < 0 {
		return runbook.Errorf(runbook.ESTALE, "execution %q: runbook %q no longer has the %d versions the start saw", id, runbookID, saw)
	}
	return runbook.Errorf(runbook.ESTALE, "execution %q: runbook %q has %d versions, not the %d the start saw", id, runbookID, found, saw)
}

// ErrKeyTaken reports a Create transition whose idempotency key is already
// used in its tenant.
func ErrKeyTaken(tenantID, key, byID string) error {
	return runbook.Errorf(runbook.ECONFLICT, "idempotency key %q is already used by execution %q in tenant %q", key, byID, tenantID)
}

// ErrStale reports a transition whose expected sequence number does not
// match the stored one.
func ErrStale(id string, expected, found int64) error {
	return runbook.Errorf(runbook.ESTALE, "execution %s changed concurrently (expected seq %d, found %d)", id, expected, found)
}

// ErrIdentityChanged reports an update that would move an execution to
// another tenant or idempotency key; both are fixed when it is created.
func ErrIdentityChanged(id string) error {
	return runbook.Errorf(runbook.EINVALID, "execution %q: tenant and idempotency key cannot change after creation", id)
}

// ErrEventExists reports a second delivery of an inbox event id.
func ErrEventExists(id string) error {
	return runbook.Errorf(runbook.ECONFLICT, "event %q already delivered", id)
}

// ErrKeyNotFound reports that no execution was started with an idempotency
// key in a tenant.
func ErrKeyNotFound(tenantID, key string) error {
	return runbook.Errorf(runbook.ENOTFOUND, "no execution with idempotency key %q in tenant %q", key, tenantID)
}

// ErrDeferredStatus reports a transition with DeferRows that changes the
// execution's status, which must be written.
func ErrDeferredStatus(id string, stored, status runbook.ExecutionStatus) error {
	if stored == "" { // not known to the store at this point
		return runbook.Errorf(runbook.EINVALID, "execution %q: DeferRows cannot change the status (to %s)", id, status)
	}
	return runbook.Errorf(runbook.EINVALID, "execution %q: DeferRows cannot change the status (%s to %s)", id, stored, status)
}
