package bench

import (
	"reflect"
	"testing"
)

func ptr(v float64) *float64 { return &v }

func TestMedian(t *testing.T) {
	t.Parallel()
	run := func(eps, ratio, p99 float64, failed int, growth *float64) *Result {
		return &Result{
			Workload: "w10", Store: "sqlite", Executions: 100, Concurrency: 5,
			ExecutionsPerSec: eps, StepsPerSec: eps * 10, Ratio: ratio, RawPerSec: eps * 10 / ratio,
			RawRangePerSec: &Range{Before: eps, After: 2 * eps},
			LatencyMs:      Percentiles{P50: eps / 10, P95: eps / 5, P99: p99},
			DispatchMs:     &Percentiles{P50: 1, P95: 2, P99: p99},
			Failed:         failed, RssGrowthMb: growth,
		}
	}

	// Odd count: the middle run of each figure, taken figure by figure.
	m, err := Median([]*Result{run(300, 0.2, 9, 0, nil), run(100, 0.3, 7, 2, ptr(5)), run(200, 0.1, 8, 1, ptr(3))})
	if err != nil {
		t.Fatal(err)
	}
	if m.Runs != 3 || m.ExecutionsPerSec != 200 || m.StepsPerSec != 2000 || m.Ratio != 0.2 {
		t.Errorf("median = %d runs, %v exec/s, %v steps/s, ratio %v; want 3, 200, 2000, 0.2", m.Runs, m.ExecutionsPerSec, m.StepsPerSec, m.Ratio)
	}
	if m.LatencyMs != (Percentiles{P50: 20, P95: 40, P99: 8}) || *m.DispatchMs != (Percentiles{P50: 1, P95: 2, P99: 8}) {
		t.Errorf("median percentiles = %+v, %+v", m.LatencyMs, *m.DispatchMs)
	}
	if *m.RawRangePerSec != (Range{Before: 200, After: 400}) {
		t.Errorf("median raw range = %+v", *m.RawRangePerSec)
	}
	// Failures add up; a figure only some runs have is the median of those.
	if m.Failed != 3 || m.RssGrowthMb == nil || *m.RssGrowthMb != 4 {
		t.Errorf("failed %d, growth %v; want 3 and 4", m.Failed, m.RssGrowthMb)
	}
	if !reflect.DeepEqual(m.ExecutionsPerSecRuns, []float64{300, 100, 200}) || !reflect.DeepEqual(m.RatioRuns, []float64{0.2, 0.3, 0.1}) {
		t.Errorf("runs kept = %v, %v", m.ExecutionsPerSecRuns, m.RatioRuns)
	}
	if m.StartSec != nil || m.TargetGapMs != nil {
		t.Errorf("figures no run has should stay absent: %v, %v", m.StartSec, m.TargetGapMs)
	}

	// Even count: the mean of the two middle values.
	m, err = Median([]*Result{run(100, 0.2, 1, 0, nil), run(400, 0.4, 4, 0, nil), run(200, 0.3, 2, 0, nil), run(300, 0.1, 3, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if m.ExecutionsPerSec != 250 || m.Ratio != 0.25 || m.LatencyMs.P99 != 2.5 {
		t.Errorf("even median = %v exec/s, ratio %v, p99 %v; want 250, 0.25, 2.5", m.ExecutionsPerSec, m.Ratio, m.LatencyMs.P99)
	}

	// Results of different workloads or stores are not combined.
	other := run(1, 1, 1, 0, nil)
	other.Store = "memory"
	if _, err := Median([]*Result{run(1, 1, 1, 0, nil), other}); err == nil {
		t.Error("median of two stores' results: no error")
	}
	if _, err := Median(nil); err == nil {
		t.Error("median of nothing: no error")
	}
}
