package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ObserveClockOffset reports, at each scrape, the correction this node
// applies to its clock to keep to the shared store's (engine.ClockOffset):
// a machine whose clock drifts shows here before its log warns.
func (m *Metrics) ObserveClockOffset(offset func() time.Duration) error {
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "clock_offset_seconds",
		Help: "Correction applied to this node's clock to keep to the shared store's (0 when none is needed or the store has no clock).",
	}, func() float64 { return offset().Seconds() }))
}
