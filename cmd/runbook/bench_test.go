package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBenchSmoke checks that every workload runs and reports its figures;
// it says nothing about speed (benchmarks are not timed tests).
func TestBenchSmoke(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"memory", "sqlite"} {
		r := runCLI(t, "", "bench", "all", "--store", store, "--executions", "20", "--concurrency", "4", "--output", "json")
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", store, r.code, r.stdout, r.stderr)
		}
		seen := map[string]map[string]any{}
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s: not JSON: %q", store, line)
			}
			seen[m["workload"].(string)] = m
		}
		for _, w := range []string{"w10", "fanout", "park", "raw"} {
			m := seen[w]
			if m == nil {
				t.Fatalf("%s: no result for %s:\n%s", store, w, r.stdout)
			}
			if m["failed"] != float64(0) || m["executions"] != float64(20) && w != "raw" {
				t.Errorf("%s %s: %v", store, w, m)
			}
			if m["executionsPerSec"].(float64) <= 0 {
				t.Errorf("%s %s: no throughput: %v", store, w, m)
			}
		}
		w10 := seen["w10"]
		for _, field := range []string{"latencyMs", "dispatchMs", "targetGapMs", "rawPerSec", "ratio", "peakRssMb", "stepsPerSec"} {
			if _, ok := w10[field]; !ok {
				t.Errorf("%s w10 lacks %s: %v", store, field, w10)
			}
		}
		// The raw baseline is measured on both sides of the engine's run,
		// and the ratio divides by a rate between the two.
		rr, ok := w10["rawRangePerSec"].(map[string]any)
		if !ok {
			t.Fatalf("%s w10 lacks rawRangePerSec: %v", store, w10)
		}
		lo, hi := min(rr["before"].(float64), rr["after"].(float64)), max(rr["before"].(float64), rr["after"].(float64))
		if raw := w10["rawPerSec"].(float64); lo <= 0 || raw < lo || raw > hi {
			t.Errorf("%s w10: rawPerSec %v is not between the baselines before and after %v", store, raw, rr)
		}
		if ratio, want := w10["ratio"].(float64), w10["stepsPerSec"].(float64)/w10["rawPerSec"].(float64); ratio < want*0.999 || ratio > want*1.001 {
			t.Errorf("%s w10: ratio %v, want stepsPerSec/rawPerSec = %v", store, ratio, want)
		}
		// Dispatch is measured on the engine's side of the wire, so it is
		// part of the gap the target sees between two steps.
		if d, g := w10["dispatchMs"].(map[string]any), w10["targetGapMs"].(map[string]any); !(d["p50"].(float64) > 0 && d["p50"].(float64) <= g["p50"].(float64)) {
			t.Errorf("%s w10: dispatch %v should be positive and within the target's gap %v", store, d, g)
		}
		// A store that flushes to a local disk reports the disk's speed
		// beside the raw baseline; the others have no disk of their own.
		flush, ok := w10["flushMs"].(map[string]any)
		if ok != (store == "sqlite") {
			t.Errorf("%s w10: flushMs %v", store, w10["flushMs"])
		}
		if ok && !(flush["p50"].(float64) >= 0 && flush["p50"].(float64) <= flush["p99"].(float64)) {
			t.Errorf("%s w10: flushMs %v should have p50 within p99", store, flush)
		}
		park := seen["park"]
		for _, field := range []string{"rssGrowthMb", "startSec", "approveAllSec"} {
			if _, ok := park[field]; !ok {
				t.Errorf("%s park lacks %s: %v", store, field, park)
			}
		}
	}
	// The table has as many columns in its rows as in its header.
	r := runCLI(t, "", "bench", "w10", "--executions", "10", "--concurrency", "2")
	// A note on the baseline's drift may follow, after a blank line.
	lines := strings.Split(strings.Split(strings.TrimSpace(r.stdout), "\n\n")[0], "\n")
	if r.code != 0 || len(lines) != 2 {
		t.Fatalf("table: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	columns := regexp.MustCompile(`\S+(?: \S+)*`)
	if h, row := columns.FindAllString(lines[0], -1), columns.FindAllString(lines[1], -1); len(h) != len(row) {
		t.Fatalf("table header has %d columns, its row %d:\n%s", len(h), len(row), r.stdout)
	}
	if r := runCLI(t, "", "bench", "w10", "--runs", "0"); r.code != 2 || !strings.Contains(r.stderr, "--runs must be at least 1") {
		t.Fatalf("--runs 0: exit %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, "", "bench", "w10", "--runs", "2", "--cpuprofile", "x.prof"); r.code != 2 || !strings.Contains(r.stderr, "--cpuprofile") {
		t.Fatalf("--runs 2 --cpuprofile: exit %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, "", "bench", "nope"); r.code != 2 || !strings.Contains(r.stderr, "unknown workload") && !strings.Contains(r.stderr, "name one workload") {
		t.Fatalf("unknown workload: exit %d %s", r.code, r.stderr)
	}
}

// TestBenchRuns checks that --runs runs every workload that many times and
// reports one result per workload made of the runs' medians.
func TestBenchRuns(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "", "bench", "all", "--store", "sqlite", "--runs", "3", "--executions", "10", "--concurrency", "2", "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != len([]string{"park", "w10", "fanout", "raw"}) {
		t.Fatalf("want one line per workload, got:\n%s", r.stdout)
	}
	for _, line := range lines {
		var m struct {
			Workload             string    `json:"workload"`
			Store                string    `json:"store"`
			Runs                 int       `json:"runs"`
			ExecutionsPerSec     float64   `json:"executionsPerSec"`
			ExecutionsPerSecRuns []float64 `json:"executionsPerSecRuns"`
			Ratio                float64   `json:"ratio"`
			RatioRuns            []float64 `json:"ratioRuns"`
			Failed               int       `json:"failed"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if m.Store != "sqlite" && !(m.Workload == "raw" && m.Store == "none") || m.Runs != 3 || len(m.ExecutionsPerSecRuns) != 3 || m.Failed != 0 {
			t.Fatalf("%s: %s", m.Workload, line)
		}
		if want := median3(m.ExecutionsPerSecRuns); m.ExecutionsPerSec != want {
			t.Errorf("%s: executionsPerSec %v, want the median of the runs %v = %v", m.Workload, m.ExecutionsPerSec, m.ExecutionsPerSecRuns, want)
		}
		if m.Workload == "w10" {
			if len(m.RatioRuns) != 3 || m.Ratio != median3(m.RatioRuns) {
				t.Errorf("w10: ratio %v, want the median of %v", m.Ratio, m.RatioRuns)
			}
		}
	}
	// The table says what it shows.
	r = runCLI(t, "", "bench", "w10", "--runs", "2", "--executions", "10", "--concurrency", "2")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "medians of 2 runs") || !strings.Contains(r.stdout, "w10 (memory), each run: executions/s ") {
		t.Fatalf("table: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func median3(vs []float64) float64 {
	s := append([]float64(nil), vs...)
	slices.Sort(s)
	return s[1]
}

// TestBenchRunsInterruptedLeavesNothing interrupts `bench --runs` while a
// run is writing its database: the run is asked to stop, not killed, and
// deletes its files.
func TestBenchRunsInterruptedLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := filepath.Join(dir, "bench.db")
	// park opens its store first, then takes minutes to park a million.
	p := startProcess(t, "bench", "park", "--runs", "2", "--store", "sqlite:"+base, "--executions", "1000000")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(base + ".1"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first run did not create %s.1", base)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Fatal("bench did not stop after an interrupt")
	}
	left, err := filepath.Glob(base + "*")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Fatalf("files left after an interrupted run: %v", left)
	}
}
