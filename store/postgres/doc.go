// Package postgres is the shared runbook.Store: one PostgreSQL schema that
// any number of runbook processes use at once, written through
// github.com/jackc/pgx/v5 (a connection pool, no ORM). It is how runbook
// scales out: several `runbook serve` replicas on one database share the
// work, and when one dies the others finish what it had started.
//
// # Concurrency control
//
// Nothing is coordinated outside the database, and nothing needs to be:
//
//   - Executions change by optimistic concurrency. Commit updates an
//     execution row only WHERE seq is the sequence number the transition
//     started from; a transition another process got in first finds no
//     row and is refused with ESTALE, and the engine decides again on fresh
//     state. The row stays locked until the batch commits.
//   - Tasks are claimed with FOR UPDATE SKIP LOCKED under leases: two nodes
//     never hold the same task, and a task whose lease expired (its node
//     died) is claimed by another. Leases are not released at start, since
//     other processes' leases are valid.
//   - An event delivered while a step starts waiting for it is seen by one
//     of the two: both take a transaction-level advisory lock on the hash
//     of (tenant, type, correlation id) before they read (see
//     DeliverEvent).
//   - Migrations run under a session-level advisory lock on the schema, so
//     replicas that start together migrate it once.
//
// # Round trips
//
// Commit writes a batch of transitions of many executions in one database
// transaction and two round trips (pipelined with pgx.Batch): the
// execution rows first, then every other row with one statement per table
// taking arrays (INSERT ... SELECT FROM unnest(...)), and COMMIT. Reads
// that need one snapshot (an execution and its steps, a page of history)
// are one round trip too.
//
// # Schema
//
// The tables live in the first schema of the connection's search_path
// (set it in the URL: search_path=runbook), created and upgraded by
// numbered migrations embedded in the binary (migrations/NNNN_name.up.sql,
// in step with the SQLite store's), each applied in a transaction and
// recorded in the schema_migrations table. A schema written by a newer
// binary is refused with EUNSUPPORTED. Times are bigint microseconds since
// the Unix epoch, returned in UTC; history events are stored whole as JSON
// (bytea) next to the columns they are looked up by.
package postgres
