// Package executor holds what the step executors share. Each step type has
// its own package below this one (callservice, conditional, loop, approval,
// waitforevent, subrunbook) implementing runbook.Executor; cmd/runbook
// registers them in a runbook.Registry by step type.
package executor
