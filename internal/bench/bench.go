// Package bench measures the engine in one process: it starts executions of
// built-in workloads against a local HTTP target and reports throughput,
// latency, dispatch latency, memory and CPU. `runbook bench` prints its
// results.
package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/executor/builtin"
	"github.com/runbookhq/runbook/expr"
	"github.com/runbookhq/runbook/spec"
	"github.com/runbookhq/runbook/store/memory"
	"github.com/runbookhq/runbook/store/sqlite"
)

// Options configure a benchmark run.
type Options struct {
	// OpenStore opens a fresh, empty store for one workload.
	OpenStore func(ctx context.Context) (runbook.Store, error)
	// StoreName is how the results name the store.
	StoreName string
	// Executions is how many executions a workload starts (default per
	// workload: w10 2,000, fanout 200, park 10,000).
	Executions int
	// Concurrency is how many clients start executions at once (default 50).
	Concurrency int
	// FlushDir is the directory of the store's files when it flushes them
	// to a local disk (SQLite): w10 then times synchronous writes there
	// (Result.FlushMs). Empty for other stores.
	FlushDir string
	Logger   *slog.Logger
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95,omitempty"`
	P99 float64 `json:"p99"`
}

// Result is what one workload measured.
type Result struct {
	Workload         string       `json:"workload"`
	Store            string       `json:"store"`
	Executions       int          `json:"executions"`
	Concurrency      int          `json:"concurrency"`
	Seconds          float64      `json:"seconds"`
	ExecutionsPerSec float64      `json:"executionsPerSec"`
	StepsPerSec      float64      `json:"stepsPerSec"`
	LatencyMs        Percentiles  `json:"latencyMs"`
	DispatchMs       *Percentiles `json:"dispatchMs,omitempty"`
	// TargetGapMs is what the target sees between answering a step and
	// receiving the next: dispatch plus both trips through HTTP.
	TargetGapMs *Percentiles `json:"targetGapMs,omitempty"`
	// RawPerSec is the raw baseline's calls per second, measured
	// before and after the engine ran (RawRangePerSec); Ratio is
	// StepsPerSec over it.
	RawPerSec      float64 `json:"rawPerSec,omitempty"`
	RawRangePerSec *Range  `json:"rawRangePerSec,omitempty"`
	Ratio          float64 `json:"ratio,omitempty"`
	// FlushMs is how long a synchronous 4 KiB write to the store's
	// directory took before the workload (Options.FlushDir): the disk's
	// share of the machine's speed, which the raw baseline does not see.
	FlushMs       *Percentiles `json:"flushMs,omitempty"`
	PeakRssMb     float64      `json:"peakRssMb"`
	CPUSeconds    float64      `json:"cpuSeconds"`
	RssGrowthMb   *float64     `json:"rssGrowthMb,omitempty"`
	StartSec      *float64     `json:"startSec,omitempty"`
	ApproveAllSec *float64     `json:"approveAllSec,omitempty"`
	Failed        int          `json:"failed"`
	// Runs is how many runs a median result (see Median) was taken of;
	// the runs' throughputs and ratios follow. Absent for a single run.
	Runs                 int       `json:"runs,omitempty"`
	ExecutionsPerSecRuns []float64 `json:"executionsPerSecRuns,omitempty"`
	RatioRuns            []float64 `json:"ratioRuns,omitempty"`
}

// Range is a figure measured twice: before and after the workload.
type Range struct {
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

// Drift is how far apart the two measurements are, relative to the
// smaller (0.1: ten percent).
func (r Range) Drift() float64 {
	lo, hi := min(r.Before, r.After), max(r.Before, r.After)
	if lo <= 0 {
		return 0
	}
	return hi/lo - 1
}

// Workloads lists the workload names Run accepts. park comes first: its
// RSS growth is only meaningful in a process that has not yet grown and
// shrunk for another workload.
func Workloads() []string { return []string{"park", "w10", "fanout", "raw"} }

// Run runs one workload.
func Run(ctx context.Context, workload string, opts Options) (*Result, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 50
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	target, err := startTarget()
	if err != nil {
		return nil, err
	}
	defer target.close()
	switch workload {
	case "w10":
		return runW10(ctx, opts, target)
	case "fanout":
		return runFanout(ctx, opts, target)
	case "park":
		return runPark(ctx, opts)
	case "raw":
		return runRaw(ctx, opts, target, defaultN(opts.Executions, 2000)*10)
	}
	return nil, fmt.Errorf("unknown workload %q: use one of %s", workload, strings.Join(Workloads(), ", "))
}

func defaultN(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// harness is an engine on a fresh store.
type harness struct {
	store runbook.Store
	eng   *engine.Engine
	ends  *finishes
}

func newHarness(ctx context.Context, opts Options, client *http.Client) (*harness, error) {
	store, err := opts.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	ev, err := expr.NewEvaluator()
	if err != nil {
		store.Close()
		return nil, err
	}
	// The engine is configured as runbook serve configures it for the store.
	_, inMemory := store.(*memory.Store)
	_, onFile := store.(*sqlite.Store)
	exclusive := inMemory || onFile
	ends := newFinishes()
	eng, err := engine.New(engine.Config{
		Observer:       ends,
		Store:          store,
		Executors:      builtin.Registry(ev, builtin.Options{HTTPClient: client}),
		Evaluator:      ev,
		Logger:         opts.Logger,
		MaxAttempts:    4096,
		ShutdownGrace:  5 * time.Second,
		ExclusiveStore: exclusive,
		DirectCommit:   inMemory,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	eng.Start()
	return &harness{store: store, eng: eng, ends: ends}, nil
}

func (h *harness) close() {
	h.eng.Close()
	h.store.Close()
}

func (h *harness) put(ctx context.Context, yaml string) error {
	rb, err := spec.Parse([]byte(yaml), spec.FormatYAML)
	if err != nil {
		return fmt.Errorf("benchmark runbook: %w", err)
	}
	_, _, err = h.eng.PutRunbook(ctx, rb)
	return err
}

// runOne starts an execution and waits for its end; it returns the
// latency and whether it completed.
func (h *harness) runOne(ctx context.Context, runbookID string, input any) (time.Duration, bool, error) {
	began := time.Now()
	id, _, err := h.eng.StartExecution(ctx, engine.StartRequest{RunbookID: runbookID, Input: input, Actor: "bench"})
	if err != nil {
		return 0, false, err
	}
	status, err := h.ends.wait(ctx, id)
	if err != nil {
		return 0, false, err
	}
	return time.Since(began), status == runbook.ExecutionCompleted, nil
}

// clients runs n jobs with c concurrent workers and returns the latencies.
// A worker takes the next job number itself as soon as it is free: no
// goroutine hands the jobs out, whose own wait for a CPU on a saturated
// machine would leave workers idle and lower the concurrency measured.
func clients(ctx context.Context, n, c int, job func(i int) (time.Duration, bool, error)) ([]time.Duration, int, error) {
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, n)
		failed    int
		firstErr  error
		next      atomic.Int64
		wg        sync.WaitGroup
	)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				d, ok, err := job(i)
				mu.Lock()
				switch {
				case err != nil && firstErr == nil:
					firstErr = err
				case !ok:
					failed++
				default:
					latencies = append(latencies, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return latencies, failed, firstErr
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) float64 {
		i := int(q * float64(len(ds)-1))
		return float64(ds[i].Microseconds()) / 1000
	}
	return Percentiles{P50: at(0.50), P95: at(0.95), P99: at(0.99)}
}

// usage is a snapshot of the process's resources.
type usage struct {
	cpu     time.Duration
	peakRSS float64 // MB
	rss     float64 // MB
}

func readUsage() usage {
	var u usage
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		u.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return u
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "VmHWM:":
			u.peakRSS = kb / 1024
		case "VmRSS:":
			u.rss = kb / 1024
		}
	}
	return u
}

// target is the local HTTP service call-service steps call. It answers
// at once and measures the gap between its answer to one step of an
// execution and the arrival of the next step's request: dispatch latency
// plus the HTTP stack on both sides (see dispatchClock).
type target struct {
	url string
	srv *http.Server
	ln  net.Listener

	mu        sync.Mutex
	lastReply map[string]time.Time
	gaps      []time.Duration
}

func startTarget() (*target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	t := &target{url: "http://" + ln.Addr().String(), ln: ln, lastReply: map[string]time.Time{}}
	t.srv = &http.Server{Handler: http.HandlerFunc(t.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

var okBody = []byte(`{"ok":true}`)

func (t *target) serve(w http.ResponseWriter, r *http.Request) {
	exec := r.Header.Get("X-Execution-Id")
	if exec != "" && r.URL.Path == "/step" {
		now := time.Now()
		t.mu.Lock()
		if last, ok := t.lastReply[exec]; ok {
			t.gaps = append(t.gaps, now.Sub(last))
		}
		t.mu.Unlock()
		defer func() {
			t.mu.Lock()
			t.lastReply[exec] = time.Now()
			t.mu.Unlock()
		}()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "11")
	_, _ = w.Write(okBody)
}

func (t *target) gapPercentiles() *Percentiles {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := percentiles(t.gaps)
	return &Percentiles{P50: p.P50, P99: p.P99}
}

func (t *target) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastReply = map[string]time.Time{}
	t.gaps = nil
}

func (t *target) close() { _ = t.srv.Close() }

// newClient returns the HTTP client used both by the engine and by the
// raw baseline, so that they compare like with like.
func newClient(concurrency int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        4 * concurrency,
		MaxIdleConnsPerHost: 4 * concurrency,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// gc collects garbage and returns free memory to the system, so that RSS
// measures what the process retains, not what the collector has yet to
// hand back.
func gc() {
	runtime.GC()
	debug.FreeOSMemory()
}
