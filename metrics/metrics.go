package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "runbook"

// Metrics holds the engine's collectors on their own registry. Its methods
// are safe for concurrent use. Build it with New.
type Metrics struct {
	reg *prometheus.Registry

	executionsStarted  *prometheus.CounterVec
	executionsFinished *prometheus.CounterVec
	executionDuration  *prometheus.HistogramVec
	stepAttempts       *prometheus.CounterVec
	attemptDuration    *prometheus.HistogramVec

	taskFailures *prometheus.CounterVec

	storeDuration *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
}

// New returns metrics registered on a new registry, together with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		executionsStarted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "executions_started_total",
			Help: "Executions started, by runbook id.",
		}, []string{"runbook_id"}),
		executionsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "executions_finished_total",
			Help: "Executions that reached a terminal status (completed, failed, cancelled), by runbook id and status.",
		}, []string{"runbook_id", "status"}),
		executionDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "execution_duration_seconds",
			Help:    "Time from the start of an execution to its terminal status, by status.",
			Buckets: []float64{0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600},
		}, []string{"status"}),
		stepAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "step_attempts_total",
			Help: "Step attempts that ended, by step type and outcome (completed, failed, retrying, cancelled, parked).",
		}, []string{"type", "outcome"}),
		attemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "step_attempt_duration_seconds",
			Help:    "Time an executor took for a step attempt run by a worker, by step type.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"type"}),
		taskFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "task_failures_total",
			Help: "Tasks that failed on this node and are tried again, by kind (run, timer, child, start, cancel).",
		}, []string{"kind"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "store_operation_duration_seconds",
			Help:    "Latency of store operations, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9),
		}, []string{"operation"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "store_errors_total",
			Help: "Store operations that returned an error, by operation and error code (not_found is an answer, not a fault).",
		}, []string{"operation", "code"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time to serve HTTP requests (streams included), by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.executionsStarted, m.executionsFinished, m.executionDuration,
		m.stepAttempts, m.attemptDuration, m.taskFailures,
		m.storeDuration, m.storeErrors,
		m.httpRequests, m.httpDuration,
	)
	return m
}

// Registry returns the registry the metrics are registered on; register
// further collectors there.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format. A
// collector that fails (the store does not answer) is reported in the
// response and logged; the other metrics are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
	})
}
