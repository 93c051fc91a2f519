// Package sqlite is the embedded runbook.Store: one SQLite database file,
// written through modernc.org/sqlite (pure Go, no cgo).
//
// # Durability and exclusivity
//
// The database runs in WAL mode, and every write returns only once the
// write-ahead log holding it has been flushed to disk, so a Commit that
// returned survives a crash or a power loss. The flush is the store's,
// not SQLite's (synchronous=NORMAL): it runs outside the write connection,
// so that the next batch is written while the previous one is flushed, and
// one flush covers every batch committed before it began
// (runbook.PipelinedCommitter). Another connection sees a commit a
// fraction of a millisecond before it is on disk, so a read returns only
// once every write it may have seen is flushed: nothing a caller is told,
// by a write or a read, can be taken back by a crash. All writes go
// through one
// connection and start with BEGIN IMMEDIATE, so they never deadlock on lock
// upgrades; reads use a separate pool of query-only connections and see the
// last committed state without blocking the writer.
//
// Only one process may use a database file: Open takes an exclusive lock
// on "<path>.lock" and fails with EUNAVAILABLE while another process (or
// another Store in this process) holds it. Because nobody else can hold a
// lease, the engine releases every lease at start and recovers crashed work
// at once instead of waiting for leases to expire.
//
// # Schema
//
// The schema is created and upgraded by numbered migrations embedded in
// the binary (migrations/NNNN_name.up.sql), each applied in a transaction
// and recorded in the schema_migrations table. A database written by a
// newer binary is refused with EUNSUPPORTED. Times are stored as INTEGER
// microseconds since the Unix epoch and returned in UTC; history events are
// stored whole as JSON next to the columns they are looked up by.
//
// History and step rows are stored in the order they are written (their
// INTEGER PRIMARY KEY) and refer to their execution by its integer pk;
// unique indexes on (execution_pk, seq) and (execution_pk, step_id,
// iteration) find an execution's rows. A commit thus appends its rows to
// the last pages of each table instead of dirtying one page per
// execution, which halves the pages every commit writes to the WAL and
// flushes. The write path keeps the integer key of every running
// execution in memory, so that its rows are written without looking the
// text id up (see execCache).
package sqlite
