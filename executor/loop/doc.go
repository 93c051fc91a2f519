// Package loop implements the loop step. A loop does not run its body
// itself: Execute resolves what to iterate over and returns a
// runbook.LoopPlan, and the engine runs the body once per item (or while the
// loop's continueWhile condition holds), each iteration a durable step
// attempt of its own. Result builds the loop's output from the iterations'
// outputs.
//
// A loop's config is not rendered before Execute: it holds the body, whose
// placeholders ({item}, {index}, {previous}) are rendered per iteration.
package loop
