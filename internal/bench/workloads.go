package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/executor/callservice"
)

// w10Runbook is ten sequential call-service steps.
func w10Runbook(url string) string {
	var b strings.Builder
	b.WriteString("id: w10\nversion: \"1\"\nsteps:\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "  - id: s%d\n    type: call-service\n    config: {url: %q, method: POST}\n", i, url+"/step")
		if i > 1 {
			fmt.Fprintf(&b, "    dependsOn: [s%d]\n", i-1)
		}
	}
	return b.String()
}

func runW10(ctx context.Context, opts Options, t *target) (*Result, error) {
	n := defaultN(opts.Executions, 2000)
	client := newClient(opts.Concurrency)
	defer client.CloseIdleConnections()

	// The raw baseline is measured before and after the engine, and the
	// ratio uses both: the machine's speed drifts (by a third within an
	// hour on the project's VM), and a baseline taken on one side only
	// would skew the ratio by as much.
	rawBefore, err := runRaw(ctx, opts, t, n*10)
	if err != nil {
		return nil, err
	}
	var flush *Percentiles
	if opts.FlushDir != "" {
		if flush, err = measureFlush(opts.FlushDir, flushWrites); err != nil {
			return nil, err
		}
	}
	t.reset()
	clock := newDispatchClock(client.Transport)
	h, err := newHarness(ctx, opts, &http.Client{Transport: clock})
	if err != nil {
		return nil, err
	}
	defer h.close()
	if err := h.put(ctx, w10Runbook(t.url)); err != nil {
		return nil, err
	}
	before := readUsage()
	began := time.Now()
	lat, failed, err := clients(ctx, n, opts.Concurrency, func(int) (time.Duration, bool, error) {
		return h.runOne(ctx, "w10", nil)
	})
	took := time.Since(began)
	if err != nil {
		return nil, err
	}
	after := readUsage()
	gap, dispatch := t.gapPercentiles(), clock.percentiles()
	rawAfter, err := runRaw(ctx, opts, t, n*10)
	if err != nil {
		return nil, err
	}
	// Both baselines made the same number of calls: together, calls per
	// second over their total time.
	rawPerSec := 2 / (1/rawBefore.StepsPerSec + 1/rawAfter.StepsPerSec)
	res := &Result{
		Workload: "w10", Store: opts.StoreName, Executions: n, Concurrency: opts.Concurrency,
		Seconds:          took.Seconds(),
		ExecutionsPerSec: float64(len(lat)) / took.Seconds(),
		StepsPerSec:      float64(len(lat)*10) / took.Seconds(),
		LatencyMs:        percentiles(lat),
		DispatchMs:       dispatch,
		TargetGapMs:      gap,
		RawPerSec:        rawPerSec,
		RawRangePerSec:   &Range{Before: rawBefore.StepsPerSec, After: rawAfter.StepsPerSec},
		FlushMs:          flush,
		PeakRssMb:        after.peakRSS,
		CPUSeconds:       (after.cpu - before.cpu).Seconds(),
		Failed:           failed,
	}
	if rawPerSec > 0 {
		res.Ratio = res.StepsPerSec / rawPerSec
	}
	return res, nil
}

// runRaw makes calls stub calls with the same client and concurrency as
// w10, without the engine: the machine's limit for w10. Each call is the
// request a call-service step sends (method, path, headers of the same
// sizes, an answer read whole) and gets the same handling from the target,
// so that the ratio compares the engine with the calls it makes, not with
// lighter ones. The target's gaps are reset before w10 runs.
func runRaw(ctx context.Context, opts Options, t *target, calls int) (*Result, error) {
	client := newClient(opts.Concurrency)
	defer client.CloseIdleConnections()
	var failures atomic.Int64
	before := readUsage()
	began := time.Now()
	lat, _, err := clients(ctx, calls, opts.Concurrency, func(int) (time.Duration, bool, error) {
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url+"/step", strings.NewReader(""))
		if err != nil {
			return 0, false, err
		}
		setStepHeaders(req.Header)
		resp, err := client.Do(req)
		if err != nil {
			failures.Add(1)
			return 0, false, nil
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start), resp.StatusCode == http.StatusOK, nil
	})
	took := time.Since(began)
	if err != nil {
		return nil, err
	}
	after := readUsage()
	return &Result{
		Workload: "raw", Store: "none", Executions: calls, Concurrency: opts.Concurrency,
		Seconds:          took.Seconds(),
		ExecutionsPerSec: float64(len(lat)) / took.Seconds(),
		StepsPerSec:      float64(len(lat)) / took.Seconds(),
		RawPerSec:        float64(len(lat)) / took.Seconds(),
		LatencyMs:        percentiles(lat),
		PeakRssMb:        after.peakRSS,
		CPUSeconds:       (after.cpu - before.cpu).Seconds(),
		Failed:           int(failures.Load()),
	}, nil
}

// setStepHeaders sets the headers call-service sends with every request,
// with values of the sizes w10's steps send.
func setStepHeaders(h http.Header) {
	const execution = "019abcde-f012-7345-8678-9abcdef01234"
	h.Set("Accept", callservice.DefaultAccept)
	h.Set("User-Agent", callservice.DefaultUserAgent)
	h.Set(callservice.HeaderIdempotencyKey, execution+":s1")
	h.Set(callservice.HeaderTenantID, "default")
	h.Set(callservice.HeaderInitiatedBy, "bench")
	h.Set(callservice.HeaderExecutionID, execution)
	h.Set(callservice.HeaderStepID, "s1")
	h.Set(callservice.HeaderAttempt, "1")
}

func fanoutRunbook(url string) string {
	return fmt.Sprintf(`
id: fanout
version: "1"
steps:
  - {id: start, type: call-service, config: {url: %[1]q, method: POST}}
  - id: each
    type: loop
    dependsOn: [start]
    loopConfig: {maxIterations: 100, iterateOver: input.items, concurrency: 10}
    config:
      body:
        type: call-service
        config: {url: %[1]q, method: POST, body: {item: "{item}"}}
  - {id: join, type: call-service, dependsOn: [each], config: {url: %[1]q, method: POST}}
`, url+"/step")
}

func runFanout(ctx context.Context, opts Options, t *target) (*Result, error) {
	n := defaultN(opts.Executions, 200)
	client := newClient(opts.Concurrency)
	defer client.CloseIdleConnections()
	h, err := newHarness(ctx, opts, client)
	if err != nil {
		return nil, err
	}
	defer h.close()
	if err := h.put(ctx, fanoutRunbook(t.url)); err != nil {
		return nil, err
	}
	items := make([]any, 100)
	for i := range items {
		items[i] = float64(i)
	}
	input := map[string]any{"items": items}
	before := readUsage()
	began := time.Now()
	lat, failed, err := clients(ctx, n, opts.Concurrency, func(int) (time.Duration, bool, error) {
		return h.runOne(ctx, "fanout", input)
	})
	took := time.Since(began)
	if err != nil {
		return nil, err
	}
	after := readUsage()
	return &Result{
		Workload: "fanout", Store: opts.StoreName, Executions: n, Concurrency: opts.Concurrency,
		Seconds:          took.Seconds(),
		ExecutionsPerSec: float64(len(lat)) / took.Seconds(),
		StepsPerSec:      float64(len(lat)*102) / took.Seconds(),
		LatencyMs:        percentiles(lat),
		PeakRssMb:        after.peakRSS,
		CPUSeconds:       (after.cpu - before.cpu).Seconds(),
		Failed:           failed,
	}, nil
}

const parkRunbook = `
id: park
version: "1"
steps:
  - id: approve
    type: human-approval
    approvalConfig: {approvers: [soc-lead], minApprovals: 1, timeoutMs: 86400000, timeoutAction: fail}
`

func runPark(ctx context.Context, opts Options) (*Result, error) {
	n := defaultN(opts.Executions, 10_000)
	h, err := newHarness(ctx, opts, newClient(opts.Concurrency))
	if err != nil {
		return nil, err
	}
	defer h.close()
	if err := h.put(ctx, parkRunbook); err != nil {
		return nil, err
	}
	ec := &runbook.ExecutionContext{TenantID: "bench", LegalBasis: runbook.LegalBasis{Authority: "bench",
		Classification: "TLP:CLEAR", AuthorizedUsers: []string{"soc-lead"}}}
	gc()
	before := readUsage()
	ids := make([]string, n)
	began := time.Now()
	_, _, err = clients(ctx, n, opts.Concurrency, func(i int) (time.Duration, bool, error) {
		id, _, err := h.eng.StartExecution(ctx, engine.StartRequest{RunbookID: "park", Context: ec, Actor: "bench"})
		ids[i] = id
		return 0, err == nil, err
	})
	startTook := time.Since(began)
	if err != nil {
		return nil, err
	}
	gc()
	parked := readUsage()
	began = time.Now()
	lat, failed, err := clients(ctx, n, opts.Concurrency, func(i int) (time.Duration, bool, error) {
		start := time.Now()
		r, err := h.eng.Decide(ctx, ids[i], "approve", engine.DecisionRequest{ApproverID: "soc-lead", Decision: runbook.Approved})
		if err != nil {
			return 0, false, err
		}
		return time.Since(start), r.Status == runbook.StepCompleted, nil
	})
	approveTook := time.Since(began)
	if err != nil {
		return nil, err
	}
	left, _, err := h.eng.ListExecutions(ctx, runbook.ExecutionFilter{Status: runbook.ExecutionAwaitingApproval, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(left) > 0 {
		return nil, fmt.Errorf("park: execution %s still awaits approval after every approval was given", left[0].ID)
	}
	after := readUsage()
	growth := parked.rss - before.rss
	startSec, approveSec := startTook.Seconds(), approveTook.Seconds()
	return &Result{
		Workload: "park", Store: opts.StoreName, Executions: n, Concurrency: opts.Concurrency,
		Seconds:          startSec + approveSec,
		ExecutionsPerSec: float64(n) / (startSec + approveSec),
		LatencyMs:        percentiles(lat),
		PeakRssMb:        after.peakRSS,
		CPUSeconds:       (after.cpu - before.cpu).Seconds(),
		RssGrowthMb:      &growth,
		StartSec:         &startSec,
		ApproveAllSec:    &approveSec,
		Failed:           failed,
	}, nil
}
