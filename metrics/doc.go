// Package metrics exposes the engine's Prometheus metrics on a registry of
// its own (never the global one), so that two servers in one process, or
// two tests, do not share counters.
//
// A *Metrics is built once in main and handed to the pieces it measures:
//
//   - it implements engine.Observer: executions started and finished by
//     status, step attempts by step type and outcome, attempt durations,
//     tasks that failed and are tried again;
//   - InstrumentStore wraps a runbook.Store to time every store operation
//     and count its errors by code;
//   - ObserveWaits counts, at each scrape, the executions parked on an
//     approval, an event or a child execution;
//   - ObserveClockOffset reports the correction applied to the node's clock;
//   - HTTPMiddleware counts and times HTTP requests by route pattern, method
//     and status code;
//   - Handler serves the registry in the Prometheus text format.
//
// Every metric name starts with "runbook_" and passes promlint.
package metrics
