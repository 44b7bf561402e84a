package chat

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacing slows a person who types faster than Rate lines per second after
// a burst of Burst lines, the way ergo's "fakelag" does: their lines wait in
// their own reader and are delivered in order, nothing is dropped, and
// nobody else waits. The allowance belongs to the key (to the address, for
// guests) and is shared by all of its sessions and one-shot commands, so
// opening more sessions or posting with `ssh host say` does not multiply
// it. Only sustained flooding disconnects: a member paced without a break
// for WarnAfter is warned, for KickAfter cut off.
type Pacing struct {
	Rate      float64 // lines per second; 0 or less turns pacing off
	Burst     int
	WarnAfter time.Duration
	KickAfter time.Duration
}

// DefaultPacing lets a person paste a screenful at once and keep typing
// fast; a 200-line paste arrives whole in well under a minute.
var DefaultPacing = Pacing{Rate: 5, Burst: 20, WarnAfter: 60 * time.Second, KickAfter: 120 * time.Second}

// maxPacedKeys bounds the table of buckets. A bucket that has filled up
// again is the same as a fresh one, so it can be dropped; only keys that
// sent more than a burst in the last Burst/Rate seconds hold an entry. If
// that many keys are busy at once, the keys beyond the bound share one
// overflow bucket: pacing gets stricter for newcomers, memory stays put.
const maxPacedKeys = 10_000

// Buckets that have filled up again are dropped every idleSweep, and when
// the table is full at most every fullSweep, so that a table full of busy
// keys does not cost a scan per line.
const (
	idleSweep = time.Minute
	fullSweep = time.Second
)

// maxSayWait is how long a one-shot `say` beyond the allowance may wait
// for its turn; a longer wait fails with a message instead.
const maxSayWait = 3 * time.Second

// paceTable holds one token bucket per pacing key.
type paceTable struct {
	rate  rate.Limit
	burst int

	mu        sync.Mutex // lock tier: leaf (nothing else is taken while held)
	buckets   map[string]*rate.Limiter
	overflow  *rate.Limiter
	lastSweep time.Time
}

func newPaceTable(p Pacing) *paceTable {
	if p.Rate <= 0 {
		return nil
	}
	burst := max(p.Burst, 1)
	return &paceTable{
		rate: rate.Limit(p.Rate), burst: burst,
		buckets:  make(map[string]*rate.Limiter),
		overflow: rate.NewLimiter(rate.Limit(p.Rate), burst),
	}
}

// reserve takes one line from key's allowance and returns how long the
// line must wait, and a way to give the line back if it will not be sent.
func (t *paceTable) reserve(key string, now time.Time) (wait time.Duration, cancel func()) {
	r := t.bucket(key, now).ReserveN(now, 1)
	return r.DelayFrom(now), func() { r.CancelAt(now) }
}

func (t *paceTable) bucket(key string, now time.Time) *rate.Limiter {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b := t.buckets[key]; b != nil {
		return b
	}
	if since := now.Sub(t.lastSweep); since >= idleSweep || len(t.buckets) >= maxPacedKeys && since >= fullSweep {
		t.lastSweep = now
		for k, b := range t.buckets {
			if b.TokensAt(now) >= float64(t.burst) {
				delete(t.buckets, k) // full again: a fresh bucket is the same
			}
		}
	}
	if len(t.buckets) >= maxPacedKeys {
		return t.overflow
	}
	b := rate.NewLimiter(t.rate, t.burst)
	t.buckets[key] = b
	return b
}

// size is the number of keys with a bucket, for tests.
func (t *paceTable) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buckets)
}

// paceKey is whose allowance a person's lines use: their key, or their
// address when they have none (guests; IPv6 by its /64, as every other
// per-address cap).
func paceKey(id Identity) string {
	if id.Fingerprint != "" {
		return id.Fingerprint
	}
	return "addr:" + addressKey(id.Addr)
}

// pacer is one member's flood watch: how long their reader has been kept
// waiting without a break. Only the member's reader uses it.
type pacer struct {
	pacedSince time.Time
	warned     bool
}

// Pace is called by m's reader before each line it hands to Handle: the
// reader waits for the returned duration first. When kick is true the
// member has flooded for too long and has been disconnected.
func (h *Hub) Pace(m *Member, now time.Time) (wait time.Duration, kick bool) {
	if h.pace == nil {
		return 0, false
	}
	p := &m.pacer
	wait, _ = h.pace.reserve(paceKey(m.identity), now)
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
		h.ejectFor(m, Flooded, "flooding")
		return 0, true
	case paced >= h.cfg.Pacing.WarnAfter && !p.warned:
		p.warned = true
		h.notice(m, fmt.Sprintf("You are sending more than %g lines a second, so your lines are delayed. Slow down or you will be disconnected.", h.cfg.Pacing.Rate))
	}
	return wait, false
}

// paceOneShot takes a one-shot line from id's allowance: it waits up to
// maxSayWait for its turn, or gives the line back and fails.
func (h *Hub) paceOneShot(id Identity) error {
	if h.pace == nil {
		return nil
	}
	wait, cancel := h.pace.reserve(paceKey(id), h.cfg.Now())
	if wait <= 0 {
		return nil
	}
	if wait > maxSayWait {
		cancel()
		return fmt.Errorf("you are sending more than %g lines a second across your sessions; try again in %s",
			h.cfg.Pacing.Rate, formatDuration(wait.Round(time.Second)+time.Second))
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-h.stop:
		cancel()
		return ErrShuttingDown
	}
}

// Now is the hub's clock; pacing readers use it so tests can freeze time.
func (h *Hub) Now() time.Time { return h.cfg.Now() }
