// Package subrunbook implements the runbook step: it runs another runbook
// as a child execution and completes with the child's output. Execute checks
// the nesting depth and parks the step; the engine starts the child and
// signals the step when the child ends.
package subrunbook
