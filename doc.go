// Package runbook holds the domain of the runbook engine: runbook
// definitions, executions and their event history, the error type, and the
// interfaces the engine, the stores and the executors meet at. It depends on
// nothing but the standard library; the packages below it (spec, expr,
// engine, executor/*, store/*, api) each depend on it and not on each other,
// and cmd/runbook wires them together.
package runbook
