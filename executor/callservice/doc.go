// Package callservice implements the call-service step: one HTTP request per
// attempt.
//
// Every request carries the step's idempotency key (stable across attempts
// and crashes), so that a target can make at-least-once delivery
// exactly-once, and headers naming the tenant, the initiator, the execution,
// the step and the attempt. The response's status decides the outcome: 2xx
// completes the step with the decoded body; 408, 425, 429 and 5xx fail it
// retryably, honouring Retry-After; any other status fails it for good.
// Transport errors and attempt timeouts are retryable; cancellation of the
// execution is not.
package callservice
