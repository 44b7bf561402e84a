package chat

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCutReasonsAreClassified(t *testing.T) {
	for reason, want := range map[string]CutCause{
		"stopped reading":    CutStuckWriter,
		"outbox overflow":    CutOutboxOverflow,
		"kicked by oper":     CutKick,
		"banned by oper":     CutBan,
		"flooding":           CutFlood,
		"something else new": CutOther,
	} {
		if got := cutCause(reason); got != want {
			t.Errorf("cutCause(%q) = %s, want %s", reason, CutCauseNames[got], CutCauseNames[want])
		}
	}
}

// TestHubCountsLinesAndDeliveries checks each hook on the hub's paths: a
// line said to a room of three is one accepted line and three deliveries;
// the writer's report of what it wrote fills the latency histogram; an
// over-long line and a paced one are counted by reason.
func TestHubCountsLinesAndDeliveries(t *testing.T) {
	x := &Metrics{}
	h := quietHub(Config{Scrollback: -1, MaxLine: 50, Metrics: x, Pacing: Pacing{Rate: 1, Burst: 1}})
	defer h.Close()
	var ms []*Member
	for i := range 3 {
		m, err := h.Join(Identity{User: fmt.Sprintf("m%d", i), Fingerprint: fmt.Sprintf("SHA256:m%d", i)}, &fakePeer{})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	before := x.Deliveries.Load() // announcements of the joins
	h.Handle(ms[0], "hello")
	h.Handle(ms[0], strings.Repeat("x", 51))
	if got := x.LinesAccepted.Load(); got != 1 {
		t.Errorf("lines accepted %d, want 1", got)
	}
	if got := x.Deliveries.Load() - before; got != 3 {
		t.Errorf("deliveries %d, want 3", got)
	}
	if got := x.LinesTooLong.Load(); got != 1 {
		t.Errorf("too long %d, want 1", got)
	}
	for _, m := range ms {
		h.FanoutWritten(m, m.Outbox().Drain(nil))
	}
	if _, count, sum := x.FanoutLatency(); count < 3 || sum <= 0 {
		t.Errorf("fan-out latency: %d observations, sum %v; want at least 3", count, sum)
	}
	now := time.Now()
	h.Pace(ms[1], now)
	if wait, _ := h.Pace(ms[1], now); wait <= 0 {
		t.Fatal("second line at once not paced")
	}
	if got := x.LinesPaced.Load(); got != 1 {
		t.Errorf("paced %d, want 1", got)
	}
}

// A hub without metrics counts nothing and does not fail.
func TestHubWithoutMetrics(t *testing.T) {
	h := quietHub(Config{Scrollback: -1})
	defer h.Close()
	m, err := h.Join(Identity{User: "solo"}, &fakePeer{})
	if err != nil {
		t.Fatal(err)
	}
	h.Handle(m, "hello")
	h.FanoutWritten(m, m.Outbox().Drain(nil))
}
