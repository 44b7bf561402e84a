// Package metrics exports what an sshchat server does as Prometheus
// metrics, on a private registry (no global state), and serves them with
// the health and readiness checks on an operator's HTTP listener.
//
// Nothing here is on the chat's hot path: the chat counts with plain
// atomics (chat.Metrics), the server calls a few nil-safe hooks per
// connection and session, and this package reads the counters and folds
// per-member values only when Prometheus scrapes.
package metrics

import (
	"context"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sshchat/sshchat/sshchat/chat"
)

// Sources is where the scrape reads what the server holds.
type Sources struct {
	// Version and Commit describe the build (sshchat_build_info).
	Version, Commit string
	// Chat is the hub's counters.
	Chat *chat.Metrics
	// Rooms, Online and QueuedBytes report the hub's rooms, members
	// online and the bytes waiting in their outboxes.
	Rooms       func() int
	Online      func() int
	QueuedBytes func() int64
	// ConnsOpen reports the open TCP connections.
	ConnsOpen func() int
	// KnownKeys counts the keys the store knows; nil leaves it out.
	KnownKeys func(context.Context) (int, error)
}

// Session kinds, the label values of sshchat_sessions_open.
const (
	SessionPty   = "pty"
	SessionPlain = "plain"
	SessionExec  = "exec"
)

var sessionKinds = []string{SessionPty, SessionPlain, SessionExec}

// Reasons a connection is refused before any SSH work.
var refusalReasons = []string{"full", "per_ip", "rate", "shutting_down", "other"}

// Authentication methods and outcomes.
var (
	authMethods  = []string{"publickey", "keyboard-interactive"}
	authOutcomes = []string{"accepted", "refused"}
)

// Metrics is one server's metrics. Its hooks may be called on a nil
// *Metrics, which does nothing: servers and tests without metrics need no
// special case.
type Metrics struct {
	reg *prometheus.Registry

	connsAccepted prometheus.Counter
	// The labelled children are made once in New and only read after, so
	// a hook is a map lookup and an atomic add, never a lock.
	connsRefused map[string]prometheus.Counter
	auth         map[[2]string]prometheus.Counter
	sessions     map[string]*atomic.Int64

	storeCommit prometheus.Histogram
	storeBatch  prometheus.Histogram
}

// scrapeTimeout bounds the store query a scrape makes.
const scrapeTimeout = 2 * time.Second

// New registers the server's metrics, the Go runtime's and the process's
// on a fresh registry.
func New(src Sources) *Metrics {
	reg := prometheus.NewRegistry()
	x := &Metrics{
		reg:          reg,
		connsRefused: make(map[string]prometheus.Counter),
		auth:         make(map[[2]string]prometheus.Counter),
		sessions:     make(map[string]*atomic.Int64),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "sshchat_build_info",
			Help:        "Always 1; the labels say which build runs.",
			ConstLabels: prometheus.Labels{"version": src.Version, "commit": src.Commit, "go_version": runtime.Version()},
		}, func() float64 { return 1 }),
	)

	// Connections and sessions.
	x.connsAccepted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sshchat_connections_accepted_total",
		Help: "TCP connections accepted (before the SSH handshake).",
	})
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sshchat_connections_refused_total",
		Help: "TCP connections refused before any SSH work, by reason: full (--max-conns), per_ip (--max-conns-per-ip), rate (--new-conns-per-ip), shutting_down.",
	}, []string{"reason"})
	for _, r := range refusalReasons {
		x.connsRefused[r] = refused.WithLabelValues(r)
	}
	auth := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sshchat_auth_attempts_total",
		Help: "Authentication attempts by method and outcome (a client may offer several keys per connection).",
	}, []string{"method", "outcome"})
	for _, m := range authMethods {
		for _, o := range authOutcomes {
			x.auth[[2]string{m, o}] = auth.WithLabelValues(m, o)
		}
	}
	reg.MustRegister(x.connsAccepted, refused, auth)
	if src.ConnsOpen != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sshchat_connections_open",
			Help: "TCP connections open now.",
		}, func() float64 { return float64(src.ConnsOpen()) }))
	}
	for _, kind := range sessionKinds {
		n := new(atomic.Int64)
		x.sessions[kind] = n
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "sshchat_sessions_open",
			Help:        "SSH sessions open now, by kind: pty (line editor), plain (ssh -T, bots), exec (one-shot commands).",
			ConstLabels: prometheus.Labels{"kind": kind},
		}, func() float64 { return float64(n.Load()) }))
	}

	// The store.
	x.storeCommit = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sshchat_store_commit_duration_seconds",
		Help:    "Time to write and commit one group commit of lines.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	x.storeBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sshchat_store_commit_batch_lines",
		Help:    "Lines written by one group commit.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024},
	})
	reg.MustRegister(x.storeCommit, x.storeBatch)
	if src.KnownKeys != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sshchat_known_keys",
			Help: "Keys that own a nick (NaN when the store could not be read).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
			defer cancel()
			n, err := src.KnownKeys(ctx)
			if err != nil {
				return math.NaN()
			}
			return float64(n)
		}))
	}

	if src.Chat != nil {
		registerChat(reg, src.Chat)
	}
	if src.Rooms != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sshchat_rooms", Help: "Rooms that exist."},
			func() float64 { return float64(src.Rooms()) }))
	}
	if src.Online != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sshchat_members_online", Help: "Members in the chat now (one per chat session)."},
			func() float64 { return float64(src.Online()) }))
	}
	if src.QueuedBytes != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sshchat_outbox_queued_bytes", Help: "Bytes of lines waiting in members' outboxes, summed over members at scrape time."},
			func() float64 { return float64(src.QueuedBytes()) }))
	}
	return x
}

// Registry is the private registry, for an embedding program that serves
// it itself.
func (x *Metrics) Registry() *prometheus.Registry { return x.reg }

// ConnAccepted counts a TCP connection let in.
func (x *Metrics) ConnAccepted() {
	if x != nil {
		x.connsAccepted.Inc()
	}
}

// ConnRefused counts a TCP connection refused; reason is one of full,
// per_ip, rate or shutting_down (anything else counts as other).
func (x *Metrics) ConnRefused(reason string) {
	if x == nil {
		return
	}
	c, ok := x.connsRefused[reason]
	if !ok {
		c = x.connsRefused["other"]
	}
	c.Inc()
}

// Auth counts one authentication attempt.
func (x *Metrics) Auth(method string, accepted bool) {
	if x == nil {
		return
	}
	outcome := "refused"
	if accepted {
		outcome = "accepted"
	}
	if c, ok := x.auth[[2]string{method, outcome}]; ok {
		c.Inc()
	}
}

// SessionOpened counts a session of kind open; call the returned function
// when it ends.
func (x *Metrics) SessionOpened(kind string) (closed func()) {
	if x == nil {
		return func() {}
	}
	n, ok := x.sessions[kind]
	if !ok {
		return func() {}
	}
	n.Add(1)
	return func() { n.Add(-1) }
}

// StoreCommitted records one group commit of batch lines that took took.
func (x *Metrics) StoreCommitted(batch int, took time.Duration) {
	if x != nil {
		x.storeCommit.Observe(took.Seconds())
		x.storeBatch.Observe(float64(batch))
	}
}
