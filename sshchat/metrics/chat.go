package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sshchat/sshchat/sshchat/chat"
)

// registerChat exports the hub's atomic counters; they are read at scrape
// time, so counting costs the chat one atomic add and nothing more.
func registerChat(reg *prometheus.Registry, c *chat.Metrics) {
	counter := func(name, help string, labels prometheus.Labels, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(v.Load()) })
	}
	const refusedHelp = "Lines refused, by reason: too_long (--max-line), muted."
	reg.MustRegister(
		counter("sshchat_lines_accepted_total", "Lines said in rooms (messages and /me) accepted for delivery.", nil, &c.LinesAccepted),
		counter("sshchat_lines_refused_total", refusedHelp, prometheus.Labels{"reason": "too_long"}, &c.LinesTooLong),
		counter("sshchat_lines_refused_total", refusedHelp, prometheus.Labels{"reason": "muted"}, &c.LinesMuted),
		counter("sshchat_lines_paced_total", "Lines delayed by pacing (--rate, --burst); they are delivered later, not dropped.", nil, &c.LinesPaced),
		counter("sshchat_lines_not_stored_total", "Room lines the store failed to keep, shown to nobody; anything above 0 means the disk is in trouble.", nil, &c.LinesNotStored),
		counter("sshchat_deliveries_total", "Room lines queued to members' outboxes (one per line per member in the room).", nil, &c.Deliveries),
		&fanoutCollector{c: c, desc: prometheus.NewDesc("sshchat_fanout_latency_seconds",
			"Time from a room line accepted to it being written to a member's connection, one observation per delivery.", nil, nil)},
	)
	for cause, name := range chat.CutCauseNames {
		reg.MustRegister(counter("sshchat_sessions_cut_total",
			"Members disconnected by the server, by reason: stuck_writer (stopped reading), outbox_overflow, kick, ban, flood, other.",
			prometheus.Labels{"reason": name}, &c.Cuts[cause]))
	}
}

// fanoutCollector folds the hub's sharded latency counters into one
// histogram at scrape time.
type fanoutCollector struct {
	c    *chat.Metrics
	desc *prometheus.Desc
}

func (f *fanoutCollector) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }

func (f *fanoutCollector) Collect(ch chan<- prometheus.Metric) {
	counts, total, sum := f.c.FanoutLatency()
	cumulative := make(map[float64]uint64, len(chat.FanoutBuckets))
	var running uint64
	for i, bound := range chat.FanoutBuckets {
		running += counts[i]
		cumulative[bound.Seconds()] = running
	}
	ch <- prometheus.MustNewConstHistogram(f.desc, total, sum.Seconds(), cumulative)
}
