// Package conditional implements the conditional step: it evaluates a
// condition over the execution's data and chooses the trueBranch or the
// falseBranch step. The branch not chosen is reported in the outcome's
// NotTaken, so that the engine skips it (and what only it leads to).
package conditional
