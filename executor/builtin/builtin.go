// Package builtin assembles the registry of every step type the engine
// ships with. main and the tests build their engines with it.
package builtin

import (
	"net/http"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor/approval"
	"github.com/runbookhq/runbook/executor/callservice"
	"github.com/runbookhq/runbook/executor/conditional"
	"github.com/runbookhq/runbook/executor/loop"
	"github.com/runbookhq/runbook/executor/subrunbook"
	"github.com/runbookhq/runbook/executor/waitforevent"
	"github.com/runbookhq/runbook/expr"
)

// Options configures the built-in executors.
type Options struct {
	// HTTPClient sends call-service requests; nil uses a tuned default.
	HTTPClient *http.Client
	// MaxResponseBytes limits call-service response bodies (0: default).
	MaxResponseBytes int64
	// UserAgent is sent by call-service steps.
	UserAgent string
}

// Registry returns an executor for every built-in step type.
func Registry(ev *expr.Evaluator, opts Options) runbook.Registry {
	return runbook.Registry{
		runbook.StepCallService: callservice.New(callservice.Options{
			Client: opts.HTTPClient, MaxResponseBytes: opts.MaxResponseBytes, UserAgent: opts.UserAgent,
		}),
		runbook.StepConditional:  conditional.New(ev),
		runbook.StepLoop:         loop.New(),
		runbook.StepApproval:     approval.New(),
		runbook.StepWaitForEvent: waitforevent.New(),
		runbook.StepSubRunbook:   subrunbook.New(),
	}
}
