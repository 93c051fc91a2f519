package callservice

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/runbookhq/runbook"
)

// transportFailure turns an error of sending the request or reading the
// response into the attempt's outcome. parent is the context Execute was
// given; attempt is the one bounded by the attempt timeout.
func (c *call) transportFailure(parent, attempt context.Context, err error, timeout, took time.Duration) *runbook.Outcome {
	var (
		se     *runbook.StepError
		reason string
	)
	switch {
	case parent.Err() != nil && !errors.Is(parent.Err(), context.DeadlineExceeded):
		reason = "cancelled"
		se = &runbook.StepError{Message: "request cancelled", Code: runbook.ECANCELLED}
	case parent.Err() != nil:
		// The engine's own deadline for the attempt passed first.
		reason = "timed out"
		se = c.timedOut(took)
	case errors.Is(context.Cause(attempt), errAttemptTimeout):
		reason = "timed out"
		se = c.timedOut(timeout)
	default:
		err = unwrapURLError(err)
		reason = err.Error()
		var certErr *tls.CertificateVerificationError
		se = &runbook.StepError{
			Message: fmt.Sprintf("request to %s failed: %v", c.url, err),
			Code:    runbook.EUNAVAILABLE,
			// A certificate the client does not trust will not be
			// trusted on the next attempt either.
			Retryable: !errors.As(err, &certErr),
		}
	}
	return &runbook.Outcome{
		Err: se,
		Logs: []runbook.StepLog{{
			Time:    c.req.Now,
			Level:   runbook.LogWarn,
			Message: fmt.Sprintf("%s %s -> %s after %dms", c.method, c.url, reason, took.Milliseconds()),
			Metadata: map[string]any{
				"method":     c.method,
				"url":        c.url,
				"durationMs": took.Milliseconds(),
			},
		}},
	}
}

// timedOut is the retryable failure of an attempt that ran out of time.
func (c *call) timedOut(after time.Duration) *runbook.StepError {
	return &runbook.StepError{
		Message:   fmt.Sprintf("request to %s timed out after %dms", c.url, after.Milliseconds()),
		Code:      runbook.ETIMEOUT,
		Retryable: true,
	}
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the method
// and the URL the message already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
