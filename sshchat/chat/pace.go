package chat

import (
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// Pacing slows a member who types faster than Rate lines per second after
// a burst of Burst lines, the way ergo's "fakelag" does: their lines wait in
// their own reader and are delivered in order, nothing is dropped, and
// nobody else waits. Only sustained flooding disconnects: a member paced
// without a break for WarnAfter is warned, for KickAfter cut off.
type Pacing struct {
	Rate      float64 // lines per second; 0 or less turns pacing off
	Burst     int
	WarnAfter time.Duration
	KickAfter time.Duration
}

// DefaultPacing lets a person paste a screenful at once and keep typing
// fast; a 200-line paste arrives whole in well under a minute.
var DefaultPacing = Pacing{Rate: 5, Burst: 20, WarnAfter: 60 * time.Second, KickAfter: 120 * time.Second}

// pacer is one member's pacing state. Only the member's reader uses it.
type pacer struct {
	limiter    *rate.Limiter
	pacedSince time.Time
	warned     bool
}

func newPacer(p Pacing) *pacer {
	if p.Rate <= 0 {
		return nil
	}
	return &pacer{limiter: rate.NewLimiter(rate.Limit(p.Rate), max(p.Burst, 1))}
}

// Pace is called by m's reader before each line it hands to Handle: the
// reader waits for the returned duration first. When kick is true the
// member has flooded for too long and has been disconnected.
func (h *Hub) Pace(m *Member, now time.Time) (wait time.Duration, kick bool) {
	p := m.pacer
	if p == nil {
		return 0, false
	}
	wait = p.limiter.ReserveN(now, 1).DelayFrom(now)
	if wait <= 0 {
		p.pacedSince, p.warned = time.Time{}, false
		return 0, false
	}
	h.cfg.Metrics.paced()
	if p.pacedSince.IsZero() {
		p.pacedSince = now
		h.notice(m, pacedNotice(h.cfg.Pacing.Rate)) // pacenote.go
	}
	paced := now.Sub(p.pacedSince)
	switch {
	case paced >= h.cfg.Pacing.KickAfter:
		h.notice(m, "Disconnected for flooding.")
		h.eject(m, "flooding")
		return 0, true
	case paced >= h.cfg.Pacing.WarnAfter && !p.warned:
		p.warned = true
		h.notice(m, fmt.Sprintf("You are sending more than %g lines a second, so your lines are delayed. Slow down or you will be disconnected.", h.cfg.Pacing.Rate))
	}
	return wait, false
}
