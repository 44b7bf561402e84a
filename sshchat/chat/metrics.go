package chat

import (
	"strings"
	"sync/atomic"
	"time"
)

// Metrics counts what the hub does, for an operator's dashboards and
// alerts. Every field is a plain atomic: the hot paths (a line accepted, a
// line fanned out to a thousand members, a write to one member) only add to
// them, never take a lock, and whoever exports them (the server's
// Prometheus collectors) reads them at scrape time. A nil *Metrics turns
// counting off; every method is safe to call on nil.
type Metrics struct {
	// LinesAccepted counts lines said in rooms (messages and emotes) that
	// were accepted for publishing.
	LinesAccepted atomic.Uint64
	// LinesTooLong and LinesMuted count lines refused, by reason.
	LinesTooLong atomic.Uint64
	LinesMuted   atomic.Uint64
	// LinesPaced counts lines delayed by pacing (delayed, not dropped).
	LinesPaced atomic.Uint64
	// LinesNotStored counts room lines the store failed to keep (or that a
	// full backlog refused); they are shown to nobody.
	LinesNotStored atomic.Uint64
	// Deliveries counts room lines queued to members' outboxes.
	Deliveries atomic.Uint64
	// Cuts counts members disconnected by the server, by cause.
	Cuts [NumCutCauses]atomic.Uint64

	fanout [latencyShards]latencyShard
}

// CutCause says why the server disconnected someone.
type CutCause int

// The causes of a cut, as CutCauseNames labels them.
const (
	CutStuckWriter CutCause = iota
	CutOutboxOverflow
	CutKick
	CutBan
	CutFlood
	CutOther
	NumCutCauses
)

// CutCauseNames are the label values of the causes.
var CutCauseNames = [NumCutCauses]string{"stuck_writer", "outbox_overflow", "kick", "ban", "flood", "other"}

// cutCause classifies the reason a member was cut off (the kick reasons
// this package and the server give).
func cutCause(reason string) CutCause {
	switch {
	case reason == "stopped reading":
		return CutStuckWriter
	case reason == "outbox overflow":
		return CutOutboxOverflow
	case strings.HasPrefix(reason, "kicked"):
		return CutKick
	case strings.HasPrefix(reason, "banned"):
		return CutBan
	case reason == "flooding":
		return CutFlood
	}
	return CutOther
}

// The hooks on the hot paths: one atomic add each, nothing when off.

func (x *Metrics) accepted() {
	if x != nil {
		x.LinesAccepted.Add(1)
	}
}

func (x *Metrics) tooLong() {
	if x != nil {
		x.LinesTooLong.Add(1)
	}
}

func (x *Metrics) muted() {
	if x != nil {
		x.LinesMuted.Add(1)
	}
}

func (x *Metrics) paced() {
	if x != nil {
		x.LinesPaced.Add(1)
	}
}

func (x *Metrics) notStored() {
	if x != nil {
		x.LinesNotStored.Add(1)
	}
}

func (x *Metrics) delivered(n int) {
	if x != nil && n > 0 {
		x.Deliveries.Add(uint64(n))
	}
}

func (x *Metrics) cut(reason string) {
	if x != nil {
		x.Cuts[cutCause(reason)].Add(1)
	}
}

// FanoutBuckets are the upper bounds of the fan-out latency histogram:
// from a line accepted to it being written to a member's connection.
var FanoutBuckets = []time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second,
}

const numFanoutBuckets = 15 // len(FanoutBuckets)

// latencyShards spreads the histogram's counters over several cache
// lines, so that writers on different cores rarely touch the same one;
// the shards are folded into one histogram at scrape time.
const latencyShards = 16

type latencyShard struct {
	buckets [numFanoutBuckets + 1]atomic.Uint64 // the last one is +Inf
	sumNs   atomic.Int64
	_       [64]byte // keeps the next shard off this one's cache line
}

// FanoutWritten records that events were written to m's connection just
// now: each live room line adds its latency since it was accepted to the
// fan-out histogram. The member's writer calls it after each write.
func (h *Hub) FanoutWritten(m *Member, events []*Event) {
	x := h.cfg.Metrics
	if x == nil {
		return
	}
	shard := &x.fanout[m.id%latencyShards]
	var now time.Time
	var sum time.Duration
	for _, ev := range events {
		if ev.accepted.IsZero() || ev.Replay {
			continue
		}
		if now.IsZero() {
			now = time.Now()
		}
		d := now.Sub(ev.accepted)
		i := 0
		for i < numFanoutBuckets && d > FanoutBuckets[i] {
			i++
		}
		shard.buckets[i].Add(1)
		sum += d
	}
	if sum != 0 {
		shard.sumNs.Add(int64(sum))
	}
}

// FanoutLatency folds the shards into a histogram: the count of
// observations in each bucket of FanoutBuckets (not cumulative; the last
// is above the largest bound), their total and their sum.
func (x *Metrics) FanoutLatency() (buckets [numFanoutBuckets + 1]uint64, count uint64, sum time.Duration) {
	for i := range x.fanout {
		s := &x.fanout[i]
		for b := range s.buckets {
			n := s.buckets[b].Load()
			buckets[b] += n
			count += n
		}
		sum += time.Duration(s.sumNs.Load())
	}
	return buckets, count, sum
}

// Rooms reports how many rooms exist.
func (h *Hub) Rooms() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rooms)
}

// QueuedBytes is the total size of everything waiting in members'
// outboxes: each outbox's count, read at the time of the call.
func (h *Hub) QueuedBytes() int64 {
	h.mu.Lock()
	members := make([]*Member, 0, len(h.nicks)+len(h.watchers))
	for _, m := range h.nicks {
		members = append(members, m)
	}
	for m := range h.watchers {
		members = append(members, m)
	}
	h.mu.Unlock()
	var total int64
	for _, m := range members {
		total += int64(m.out.queuedBytes())
	}
	return total
}

// queuedBytes reports the bytes waiting in the outbox.
func (o *Outbox) queuedBytes() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bytes
}
