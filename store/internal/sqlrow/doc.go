// Package sqlrow maps the records of runbook.Store to the rows of the SQL
// stores' tables and back, for the SQLite and the PostgreSQL store alike:
// the column lists, how times, blobs, approvers and events are stored,
// and the functions that scan a row into a record. Both schemas have the
// same tables and columns in the same order, so one mapping serves both;
// the statements, their dialect and the driver calls stay in each store.
package sqlrow
