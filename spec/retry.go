package spec

import "github.com/runbookhq/runbook"

// maxAttemptsLimit bounds RetryPolicy.MaxAttempts.
const maxAttemptsLimit = 100

// checkRetryPolicy checks a retry policy at path; nil is fine.
func checkRetryPolicy(p *problems, path string, rp *runbook.RetryPolicy) {
	if rp == nil {
		return
	}
	switch {
	case rp.MaxAttempts < 1:
		p.add(field(path, "maxAttempts"), "maxAttempts must be at least 1 (it counts the first attempt), got %d", rp.MaxAttempts)
	case rp.MaxAttempts > maxAttemptsLimit:
		p.add(field(path, "maxAttempts"), "maxAttempts %d is too high: the limit is %d", rp.MaxAttempts, maxAttemptsLimit)
	}
	nonNegative(p, field(path, "initialDelayMs"), rp.InitialDelayMs)
	nonNegative(p, field(path, "maxDelayMs"), rp.MaxDelayMs)
	if rp.InitialDelayMs >= 0 && rp.MaxDelayMs >= 0 && rp.MaxDelayMs < rp.InitialDelayMs {
		p.add(field(path, "maxDelayMs"), "maxDelayMs %d is below initialDelayMs %d; raise it", rp.MaxDelayMs, rp.InitialDelayMs)
	}
	if rp.BackoffMultiplier < 1 {
		p.add(field(path, "backoffMultiplier"), "backoffMultiplier must be at least 1 (1 keeps the delay constant), got %g", rp.BackoffMultiplier)
	}
	if rp.Jitter < 0 || rp.Jitter > 1 {
		p.add(field(path, "jitter"), "jitter must be between 0 and 1, got %g", rp.Jitter)
	}
	for i, e := range rp.RetryableErrors {
		if e == "" {
			p.add(item(field(path, "retryableErrors"), i), "empty error name; remove it or name an error")
		}
	}
}
