package spec

import "github.com/runbookhq/runbook"

// checkSubRunbook checks the config of a runbook (sub-runbook) step; path
// is the config's path. The runbook id may be a placeholder, resolved when
// the step runs.
func checkSubRunbook(p *problems, path string, cfg *runbook.SubRunbookConfig) {
	if cfg.RunbookID == "" {
		p.add(field(path, "runbookId"), "missing required config: runbookId")
	} else if !hasPlaceholder(cfg.RunbookID) {
		checkID(p, field(path, "runbookId"), "runbook id", cfg.RunbookID)
	}
}
