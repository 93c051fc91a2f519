// Package api is the REST API of the runbook engine: JSON over HTTP under
// /api/v1, Server-Sent Events for following an execution, health checks,
// Prometheus metrics and the OpenAPI document of it all
// (GET /api/v1/openapi.json, embedded from openapi.json).
//
// The server is a plain net/http ServeMux with method and path patterns;
// each handler returns an error, and errors.go is the one place where an
// error's runbook code becomes an HTTP status. Every success body carries
// "version": "v1"; every error body is
//
//	{"error": "Not Found", "message": "execution x not found", "code": "not_found",
//	 "details": [{"field": ..., "message": ...}], "requestId": "..."}
//
// with details only for validation problems. Timestamps are RFC 3339 UTC
// with milliseconds (2026-03-01T09:00:00.000Z).
//
// The middleware gives every request an id (X-Request-Id, taken from the
// request when it is sane), logs it with slog (method, route pattern,
// status, duration, request id), turns a panic into a 500, answers CORS
// for the configured origins, and limits request bodies to 10 MiB.
//
// docs/api.md is the reference of every endpoint; package client is the Go
// client the CLI and the tests use.
package api
