package spec

import "github.com/runbookhq/runbook"

// checkWaitForEvent checks the config of a wait-for-event step; path is
// the config's path.
func checkWaitForEvent(p *problems, path string, cfg *runbook.WaitForEventConfig) {
	if cfg.EventType == "" {
		p.add(field(path, "eventType"), "missing required config: eventType")
	}
	nonNegative(p, field(path, "timeoutMs"), cfg.TimeoutMs)
	nonNegative(p, field(path, "pollIntervalMs"), cfg.PollIntervalMs)
}
