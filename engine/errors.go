package engine

import "github.com/runbookhq/runbook"

// errShuttingDown is returned to callers whose work arrives while the engine
// is closing.
var errShuttingDown = &runbook.Error{Code: runbook.EUNAVAILABLE, Message: "engine is shutting down"}
