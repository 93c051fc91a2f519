package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/runbookhq/runbook"
)

// WaitLister is the part of a runbook.Store the waits collector reads.
type WaitLister interface {
	ListWaits(ctx context.Context, f runbook.WaitFilter) ([]*runbook.Wait, error)
}

// scrapeTimeout bounds the store query of one scrape.
const scrapeTimeout = 5 * time.Second

// ObserveWaits registers a collector that reports, at each scrape, how many
// executions wait for an approval, for an event and for a child execution
// (runbook_executions_waiting{kind}), counted from the store's waits. It
// fails if called twice.
func (m *Metrics) ObserveWaits(s WaitLister) error {
	return m.reg.Register(&waitsCollector{
		store: s,
		desc: prometheus.NewDesc(namespace+"_executions_waiting",
			"Executions parked on an approval, an event or a child execution, by kind of wait.",
			[]string{"kind"}, nil),
	})
}

type waitsCollector struct {
	store WaitLister
	desc  *prometheus.Desc
}

func (c *waitsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *waitsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	waits, err := c.store.ListWaits(ctx, runbook.WaitFilter{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	// An execution with two steps parked on approvals counts once.
	seen := map[runbook.WaitKind]map[string]bool{}
	for _, w := range waits {
		if seen[w.Kind] == nil {
			seen[w.Kind] = map[string]bool{}
		}
		seen[w.Kind][w.ExecutionID] = true
	}
	for _, kind := range []runbook.WaitKind{runbook.WaitApproval, runbook.WaitEvent, runbook.WaitChild} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(len(seen[kind])), string(kind))
	}
}
