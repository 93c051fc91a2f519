// Package contract holds what every store backend must agree on beyond the
// runbook.Store interface: the checks made on input before anything is
// written, and the errors returned to callers, so that the memory, SQLite
// and PostgreSQL stores answer with the same codes and the same messages.
package contract
