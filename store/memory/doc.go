// Package memory is an in-memory runbook.Store for tests and benchmarks.
//
// It keeps everything in maps guarded by one mutex and deep-copies every
// record on the way in and on the way out, so callers can never change the
// store through a slice they passed or received. It answers with the same
// codes and messages as the SQLite store and passes the same conformance
// suite (store/storetest); nothing survives the process.
//
// Tasks are indexed by due time and by the time they become claimable, so
// ClaimTasks and NextDue cost O(claimed·log n) and O(1) however many timers
// are parked.
package memory
