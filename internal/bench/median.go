package bench

import (
	"fmt"
	"slices"
)

// Median combines the results of several runs of one workload on one
// store into one: every figure is the median of that figure over the runs
// (the mean of the two middle ones for an even count), except Failed,
// which adds up, so that no failure is hidden. The ratio is the median of
// the runs' ratios, not a ratio of medians. Runs, ExecutionsPerSecRuns and
// RatioRuns keep what the median was taken of.
func Median(rs []*Result) (*Result, error) {
	if len(rs) == 0 {
		return nil, fmt.Errorf("median of no results")
	}
	first := rs[0]
	for _, r := range rs[1:] {
		if r.Workload != first.Workload || r.Store != first.Store {
			return nil, fmt.Errorf("median of unlike results: %s on %s and %s on %s", first.Workload, first.Store, r.Workload, r.Store)
		}
	}
	of := func(f func(*Result) float64) float64 {
		vs := make([]float64, len(rs))
		for i, r := range rs {
			vs[i] = f(r)
		}
		return median(vs)
	}
	// ofSome takes the median over the runs that have the figure; nil
	// when none has.
	ofSome := func(f func(*Result) (float64, bool)) *float64 {
		var vs []float64
		for _, r := range rs {
			if v, ok := f(r); ok {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			return nil
		}
		m := median(vs)
		return &m
	}
	percentilesOf := func(f func(*Result) *Percentiles) *Percentiles {
		var ps []*Percentiles
		for _, r := range rs {
			if p := f(r); p != nil {
				ps = append(ps, p)
			}
		}
		if len(ps) == 0 {
			return nil
		}
		pick := func(g func(*Percentiles) float64) float64 {
			vs := make([]float64, len(ps))
			for i, p := range ps {
				vs[i] = g(p)
			}
			return median(vs)
		}
		return &Percentiles{
			P50: pick(func(p *Percentiles) float64 { return p.P50 }),
			P95: pick(func(p *Percentiles) float64 { return p.P95 }),
			P99: pick(func(p *Percentiles) float64 { return p.P99 }),
		}
	}

	m := &Result{
		Workload: first.Workload, Store: first.Store, Executions: first.Executions, Concurrency: first.Concurrency,
		Runs:             len(rs),
		Seconds:          of(func(r *Result) float64 { return r.Seconds }),
		ExecutionsPerSec: of(func(r *Result) float64 { return r.ExecutionsPerSec }),
		StepsPerSec:      of(func(r *Result) float64 { return r.StepsPerSec }),
		LatencyMs:        *percentilesOf(func(r *Result) *Percentiles { return &r.LatencyMs }),
		DispatchMs:       percentilesOf(func(r *Result) *Percentiles { return r.DispatchMs }),
		TargetGapMs:      percentilesOf(func(r *Result) *Percentiles { return r.TargetGapMs }),
		FlushMs:          percentilesOf(func(r *Result) *Percentiles { return r.FlushMs }),
		RawPerSec:        of(func(r *Result) float64 { return r.RawPerSec }),
		Ratio:            of(func(r *Result) float64 { return r.Ratio }),
		PeakRssMb:        of(func(r *Result) float64 { return r.PeakRssMb }),
		CPUSeconds:       of(func(r *Result) float64 { return r.CPUSeconds }),
		RssGrowthMb:      ofSome(func(r *Result) (float64, bool) { return deref(r.RssGrowthMb) }),
		StartSec:         ofSome(func(r *Result) (float64, bool) { return deref(r.StartSec) }),
		ApproveAllSec:    ofSome(func(r *Result) (float64, bool) { return deref(r.ApproveAllSec) }),
	}
	before := ofSome(func(r *Result) (float64, bool) {
		if r.RawRangePerSec == nil {
			return 0, false
		}
		return r.RawRangePerSec.Before, true
	})
	after := ofSome(func(r *Result) (float64, bool) {
		if r.RawRangePerSec == nil {
			return 0, false
		}
		return r.RawRangePerSec.After, true
	})
	if before != nil && after != nil {
		m.RawRangePerSec = &Range{Before: *before, After: *after}
	}
	for _, r := range rs {
		m.Failed += r.Failed
		m.ExecutionsPerSecRuns = append(m.ExecutionsPerSecRuns, r.ExecutionsPerSec)
		if r.Ratio > 0 {
			m.RatioRuns = append(m.RatioRuns, r.Ratio)
		}
	}
	return m, nil
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func deref(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}
