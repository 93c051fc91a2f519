// Package spec turns runbook definitions, written in JSON or YAML, into
// validated *runbook.Runbook values, reporting every problem at once.
//
// # Format
//
// A definition is one object with the JSON field names of runbook.Runbook;
// YAML uses the same names, and the previous engine's fields are accepted.
//
//	{
//	  "id": "investigate-threat",          // no whitespace, . { } [ ] /
//	  "name": "Threat investigation",      // optional
//	  "version": "1.0.0",
//	  "defaultRetryPolicy": {"maxAttempts": 3, "initialDelayMs": 1000,
//	                         "maxDelayMs": 10000, "backoffMultiplier": 2},
//	  "globalTimeoutMs": 3600000,
//	  "inputSchema": {"type": "object"},   // a JSON Schema
//	  "steps": [
//	    {"id": "enrich", "type": "call-service",
//	     "config": {"url": "https://intel.example/{input.ip}", "method": "GET"}},
//	    {"id": "assess", "type": "conditional", "dependsOn": ["enrich"],
//	     "config": {"condition": {"field": "enrich.riskScore", "operator": "gt", "value": 7},
//	                "trueBranch": "approve", "falseBranch": "close"}},
//	    {"id": "approve", "type": "human-approval", "dependsOn": ["assess"],
//	     "approvalConfig": {"approvers": ["soc-lead"], "minApprovals": 1}},
//	    {"id": "close", "type": "call-service", "dependsOn": ["assess"],
//	     "config": {"url": "https://tickets.example/close", "method": "POST"}}
//	  ]
//	}
//
// Step types and the config each reads (runbook.CallServiceConfig and its
// siblings):
//
//   - call-service: config url, method, headers, body, idempotencyKey,
//     timeoutMs, maxResponseBytes, evidence.
//   - conditional: config condition or expression, trueBranch, falseBranch.
//     A branch target implicitly runs after the conditional.
//   - loop: loopConfig (maxIterations up to 1000; iterateOver or
//     continueWhile) and config body (an inline step; its id defaults to
//     "<loopId>-body") or bodyStepId (another step).
//   - human-approval: approvalConfig (approvers, minApprovals, timeoutMs,
//     timeoutAction fail, approve or reject); no config.
//   - wait-for-event: config eventType, correlationId, timeoutMs.
//   - runbook: config runbookId, runbookVersion, input.
//
// A condition is either {"expression": "<CEL>"} or {"field": "<path>",
// "operator": "eq|ne|gt|lt|gte|lte|in|contains|exists", "value": ...}.
// Strings in config may hold {placeholders}; they are resolved when the
// step runs.
//
// # Strictness
//
// Decoding is strict in both formats: an unknown field at any level (a
// typo such as "retryPolicyy"), a value of the wrong type and a fraction
// where a whole number belongs are problems. Only metadata, the schemas,
// a call-service body and a sub-runbook input are free-form. Parse returns
// a *runbook.Error with code runbook.EINVALID whose Details name each
// problem's field, such as "steps[enrich].config.url" (a step is named by
// its id, or by its index when the id is missing or duplicated).
//
// Input over 10 MiB, nesting deeper than 100 levels, YAML aliases that
// expand to more than 100,000 values, several YAML documents and anything
// after the JSON value are refused before any field is looked at.
package spec
