package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/internal/bench"
	"github.com/runbookhq/runbook/store/memory"
	"github.com/runbookhq/runbook/store/postgres"
)

// BenchCommand measures the engine in this process with its own local HTTP
// target and prints a table or JSON.
type BenchCommand struct {
	stdio Stdio
}

// Run runs the named workloads.
func (c *BenchCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("bench", "bench WORKLOAD [--store memory|sqlite[:PATH]|postgres://...] [--executions N] [--concurrency C] [--runs N] [--output table|json]", c.stdio.Err)
	store := fs.String("store", "memory", "store to measure: memory, sqlite[:PATH] (a new file per workload, deleted after; default in a temporary folder), or a postgres:// URL (a new schema per workload, dropped after)")
	executions := fs.Int("executions", 0, "executions per workload (default w10 2000, fanout 200, park 10000)")
	concurrency := fs.Int("concurrency", 50, "concurrent clients starting executions")
	output := fs.String("output", "table", "table or json (one object per workload per line)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	runs := fs.Int("runs", 1, "run every workload this many times, each run in a process of its own, and report the medians")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{msg: "name one workload: " + strings.Join(bench.Workloads(), ", ") + " or all"}
	}
	workloads := []string{rest[0]}
	switch {
	case rest[0] == "all":
		workloads = bench.Workloads()
	case !slices.Contains(bench.Workloads(), rest[0]):
		return usageError{msg: fmt.Sprintf("unknown workload %q: use %s or all", rest[0], strings.Join(bench.Workloads(), ", "))}
	}
	if *output != "table" && *output != "json" {
		return usageError{msg: fmt.Sprintf("--output must be table or json, not %q", *output)}
	}
	if *executions < 0 || *concurrency < 1 {
		return usageError{msg: "--executions must not be negative and --concurrency must be at least 1"}
	}
	if *runs < 1 {
		return usageError{msg: "--runs must be at least 1"}
	}
	if *runs > 1 && *cpuProfile != "" {
		return usageError{msg: "--cpuprofile profiles this process: use it with --runs 1"}
	}
	target, err := benchStore(*store)
	if err != nil {
		return err
	}
	defer target.cleanup()
	if *runs > 1 {
		return c.runMedians(ctx, workloads, *runs, *output, []string{
			"--store", *store, "--executions", strconv.Itoa(*executions), "--concurrency", strconv.Itoa(*concurrency),
		})
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	var results []*bench.Result
	for _, w := range workloads {
		res, err := bench.Run(ctx, w, bench.Options{
			OpenStore: target.open, StoreName: target.name, FlushDir: target.flushDir, Executions: *executions, Concurrency: *concurrency,
			Logger: slog.New(slog.NewTextHandler(c.stdio.Err, &slog.HandlerOptions{Level: slog.LevelError})),
		})
		if err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
		if *output == "json" {
			if err := json.NewEncoder(c.stdio.Out).Encode(res); err != nil {
				return err
			}
		}
		results = append(results, res)
	}
	if *output == "table" {
		printBench(c.stdio.Out, results)
	}
	return nil
}

// runMedians runs every workload runs times, each run in a new process of
// this binary (so that no run inherits another's heap, connections or
// file cache, and park's RSS growth starts from a fresh process), round
// after round, and reports each workload's medians (bench.Median).
func (c *BenchCommand) runMedians(ctx context.Context, workloads []string, runs int, output string, flags []string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find this program to run it again: %w", err)
	}
	byWorkload := make(map[string][]*bench.Result)
	for round := 1; round <= runs; round++ {
		for _, w := range workloads {
			args := append([]string{"bench", w, "--output", "json"}, flags...)
			cmd := exec.CommandContext(ctx, self, args...)
			cmd.Stderr = c.stdio.Err
			// Interrupted, a run is asked to stop as a user would, so that
			// it drops its schema or deletes its files; killed only if it
			// does not.
			cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
			cmd.WaitDelay = time.Minute
			out, err := cmd.Output()
			if err != nil {
				return fmt.Errorf("%s, run %d of %d: %w", w, round, runs, err)
			}
			var res bench.Result
			if err := json.Unmarshal(out, &res); err != nil {
				return fmt.Errorf("%s, run %d of %d: read its result: %w", w, round, runs, err)
			}
			byWorkload[w] = append(byWorkload[w], &res)
		}
	}
	var results []*bench.Result
	for _, w := range workloads {
		m, err := bench.Median(byWorkload[w])
		if err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
		if output == "json" {
			if err := json.NewEncoder(c.stdio.Out).Encode(m); err != nil {
				return err
			}
		}
		results = append(results, m)
	}
	if output == "table" {
		fmt.Fprintf(c.stdio.Out, "medians of %d runs, each workload in a process of its own\n\n", runs)
		printBench(c.stdio.Out, results)
	}
	return nil
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// benchTarget is the store a benchmark runs on.
type benchTarget struct {
	// open opens a fresh store for each workload.
	open func(context.Context) (runbook.Store, error)
	name string
	// flushDir is where the store's files are, for a store that flushes
	// them to a local disk (see bench.Options.FlushDir).
	flushDir string
	cleanup  func()
}

// benchStore returns the store --store names.
func benchStore(uri string) (*benchTarget, error) {
	if uri == "memory" {
		return &benchTarget{open: func(ctx context.Context) (runbook.Store, error) { return memory.New(), nil }, name: "memory", cleanup: func() {}}, nil
	}
	if isPostgres(uri) {
		open, cleanup := benchPostgres(uri)
		return &benchTarget{open: open, name: "postgres", cleanup: cleanup}, nil
	}
	if uri != "sqlite" && !strings.HasPrefix(uri, "sqlite:") {
		return nil, usageError{msg: fmt.Sprintf("--store %q: use memory, sqlite, sqlite:PATH or a postgres:// URL", uri)}
	}
	dir, err := os.MkdirTemp("", "runbook-bench-")
	if err != nil {
		return nil, err
	}
	base := filepath.Join(dir, "bench.db")
	if path := strings.TrimPrefix(strings.TrimPrefix(uri, "sqlite"), ":"); path != "" {
		base = path
		if _, err := os.Stat(path); err == nil {
			os.RemoveAll(dir)
			return nil, usageError{msg: fmt.Sprintf("--store %s: the file exists; the benchmark needs a new file", uri)}
		}
	}
	n := 0
	var files []string
	open := func(ctx context.Context) (runbook.Store, error) {
		n++
		path := fmt.Sprintf("%s.%d", base, n)
		files = append(files, path, path+"-wal", path+"-shm", path+".lock")
		st, _, err := openStore(ctx, "sqlite:"+path)
		return st, err
	}
	cleanup := func() {
		for _, f := range files {
			os.Remove(f)
		}
		os.RemoveAll(dir)
	}
	return &benchTarget{open: open, name: "sqlite", flushDir: filepath.Dir(base), cleanup: cleanup}, nil
}

// benchPostgres opens each workload's store in a new schema of the
// database at uri (whatever search_path uri names) and drops the schemas
// when the benchmark ends.
func benchPostgres(uri string) (func(context.Context) (runbook.Store, error), func()) {
	var drops []func(context.Context) error
	open := func(ctx context.Context) (runbook.Store, error) {
		schemaURI, drop, err := postgres.TempSchema(ctx, uri, "runbook_bench_")
		if err != nil {
			return nil, err
		}
		drops = append(drops, drop)
		st, err := postgres.Open(ctx, schemaURI)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	cleanup := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, drop := range drops {
			if err := drop(ctx); err != nil {
				fmt.Fprintln(os.Stderr, "runbook bench:", err)
			}
		}
	}
	return open, cleanup
}

func printBench(w io.Writer, results []*bench.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "WORKLOAD\tSTORE\tEXECUTIONS\tEXEC/S\tSTEPS/S\tP50 MS\tP95 MS\tP99 MS\tDISPATCH P50/P99 MS\tTARGET GAP P50/P99 MS\tRAW/S\tRATIO\tPEAK RSS MB\tCPU S\t")
	for _, r := range results {
		dispatch, gap, raw, ratio := "-", "-", "-", "-"
		if r.DispatchMs != nil {
			dispatch = fmt.Sprintf("%.2f/%.2f", r.DispatchMs.P50, r.DispatchMs.P99)
		}
		if r.TargetGapMs != nil {
			gap = fmt.Sprintf("%.2f/%.2f", r.TargetGapMs.P50, r.TargetGapMs.P99)
		}
		if r.RawPerSec > 0 {
			raw = fmt.Sprintf("%.0f", r.RawPerSec)
		}
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", r.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t%s\t%.0f\t%.2f\t\n", r.Workload, r.Store, r.Executions,
			r.ExecutionsPerSec, r.StepsPerSec, r.LatencyMs.P50, r.LatencyMs.P95, r.LatencyMs.P99, dispatch, gap, raw, ratio, r.PeakRssMb, r.CPUSeconds)
	}
	tw.Flush()
	for _, r := range results {
		if r.Workload == "park" {
			fmt.Fprintf(w, "\npark (%s): %d executions parked in %.2fs, RSS growth %.1f MB; approving all took %.2fs\n",
				r.Store, r.Executions, *r.StartSec, *r.RssGrowthMb, *r.ApproveAllSec)
		}
		if r.Failed > 0 {
			fmt.Fprintf(w, "%s: %d executions did not complete\n", r.Workload, r.Failed)
		}
		if r.Runs > 1 {
			fmt.Fprintf(w, "\n%s (%s), each run: executions/s %s", r.Workload, r.Store, joinFloats(r.ExecutionsPerSecRuns, "%.0f"))
			if len(r.RatioRuns) > 0 {
				fmt.Fprintf(w, "; ratio %s", joinFloats(r.RatioRuns, "%.3f"))
			}
			fmt.Fprintln(w)
		}
		if f := r.FlushMs; f != nil {
			fmt.Fprintf(w, "\n%s (%s): a synchronous 4 KiB write in the store's directory took %.2f ms (p50), %.2f ms (p99)\n",
				r.Workload, r.Store, f.P50, f.P99)
		}
		if rr := r.RawRangePerSec; rr != nil && rr.Drift() > 0.1 {
			fmt.Fprintf(w, "\n%s (%s): the raw baseline moved from %.0f to %.0f calls/s while the engine ran: the machine's speed changed, compare this ratio with care\n",
				r.Workload, r.Store, rr.Before, rr.After)
		}
	}
}

func joinFloats(vs []float64, format string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf(format, v)
	}
	return strings.Join(out, ", ")
}
