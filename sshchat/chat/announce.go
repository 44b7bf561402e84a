package chat

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// announceConfig bounds how many join/leave lines a room shows.
type announceConfig struct {
	// Burst announcements are shown as they happen within one Window;
	// beyond that they are gathered and shown as one line per kind at the
	// end of the window ("alice, bob and 38 others joined").
	Burst  int
	Window time.Duration
	// Names is how many nicks a gathered line spells out.
	Names int
}

var defaultAnnounce = announceConfig{Burst: 5, Window: time.Second, Names: 5}

// announcer turns joins and leaves into announcements without burying a
// room when a thousand people connect at once: shazow/ssh-chat sends every
// member one line per join, which is half a million lines for 1,000 joins.
type announcer struct {
	room *Room
	cfg  announceConfig

	// mu (lock tier 1, see doc.go) guards the fields below; under it
	// announcements are queued in the room's order (tier 2) and the room's
	// size is read (tier 4), never handed to the store.
	mu          sync.Mutex
	windowStart time.Time
	sent        int
	pending     []run // in the order things happened
	timer       *time.Timer
	stopped     bool
}

// run is a stretch of consecutive joins, or of consecutive leaves. Keeping
// runs, not one list of each, keeps the order: "carol left" then "carol
// joined" is not shown the other way round.
type run struct {
	joined bool
	nicks  []string // the first cfg.Names (and one more, to tell "and x" from "and 1 others")
	more   int      // how many more than nicks
}

// maxPendingRuns bounds the runs an announcer gathers between two
// announcements.
const maxPendingRuns = 64

// add counts nick in the run, keeping at most names+1 nicks.
func (r *run) add(nick string, names int) {
	if len(r.nicks) <= names {
		r.nicks = append(r.nicks, nick)
	} else {
		r.more++
	}
}

func newAnnouncer(r *Room, cfg announceConfig) *announcer {
	return &announcer{room: r, cfg: cfg}
}

func (a *announcer) joined(nick string) { a.add(true, nick) }
func (a *announcer) left(nick string)   { a.add(false, nick) }

func (a *announcer) add(joined bool, nick string) {
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return
	}
	now := a.room.now()
	if now.Sub(a.windowStart) >= a.cfg.Window {
		a.windowStart, a.sent = now, 0
	}
	if n := len(a.pending); n > 0 && a.pending[n-1].joined == joined {
		a.pending[n-1].add(nick, a.cfg.Names)
	} else if n < maxPendingRuns {
		a.pending = append(a.pending, run{joined: joined, nicks: []string{nick}})
	} else {
		// Joins and leaves alternating while the room's lines wait:
		// the last run counts them, so memory stays bounded.
		a.pending[n-1].more++
	}
	var pump bool
	var handed chan struct{}
	refused := 0
	switch {
	case a.sent < a.cfg.Burst && a.timer == nil:
		a.sent++
		pump, handed, refused = a.publishPendingLocked(joined)
	case a.timer == nil:
		wait := a.cfg.Window - now.Sub(a.windowStart)
		a.timer = time.AfterFunc(wait, a.flush)
	}
	a.mu.Unlock()
	for range refused {
		a.room.refused(nil) // logged only now: no log write under a lock
	}
	if pump {
		a.room.startPump()
	}
	if handed != nil {
		// A join is announced from the joining session, which may wait
		// (a bounded time) until the line is on its way, so that the
		// announcement comes before anything the newcomer says; a leave
		// comes from the watchdog, shutdown or a kick, which must never
		// wait on the store.
		waitHanded(handed)
	}
}

// flush runs on the timer's goroutine; the hub stops the timer on Close.
func (a *announcer) flush() {
	defer recoverAndLog("announcer flush")
	a.mu.Lock()
	a.timer = nil
	if a.stopped {
		a.mu.Unlock()
		return
	}
	a.windowStart, a.sent = a.room.now(), 1
	pump, _, refused := a.publishPendingLocked(false)
	a.mu.Unlock()
	for range refused {
		a.room.refused(nil)
	}
	if pump {
		a.room.startPump()
	}
}

// publishPendingLocked queues the pending announcements in the room's
// order under a.mu, so they keep the order in which they were made; lock
// order is announcer, then room. Queueing never waits on the store: when it
// reports pump, the caller starts the room's pump once a.mu is released.
// With wait it also returns a channel closed once the last of them has been
// handed to the store (nil if nothing was queued). refused counts the
// announcements a full backlog turned away, for the caller to report
// (room.refused) once a.mu is released.
func (a *announcer) publishPendingLocked(wait bool) (pump bool, handed chan struct{}, refused int) {
	online := a.room.Len() + a.room.hub.hereElsewhere(a.room.name) // other nodes' people: whois_remote.go
	for _, r := range a.pending {
		verb := "left"
		if r.joined {
			verb = "joined"
		}
		text := fmt.Sprintf("%s %s %s. (%d here)", a.names(r.nicks, r.more), verb, a.room.name, online) // "online" is the whole server
		var h chan struct{}
		if wait {
			h = make(chan struct{})
		}
		// A room that left memory (evicted, so nobody is in it; or
		// removed) has no one to announce to: its reroute is not taken.
		start, queued, _, reroute := a.room.enqueueLine(pendingLine{ev: &Event{Kind: KindAnnounce, Text: text}, handed: h}, false)
		pump = pump || start
		switch {
		case queued:
			handed = h
		case reroute == nil:
			refused++
		}
	}
	clear(a.pending)
	a.pending = a.pending[:0]
	return pump, handed, refused
}

// names spells out up to cfg.Names nicks and counts the rest ("a, b and
// 38 others"); more counts nicks that were not even kept.
func (a *announcer) names(nicks []string, more int) string {
	shown := min(len(nicks), a.cfg.Names)
	others := len(nicks) - shown + more
	switch {
	case others == 0 && shown == 1:
		return nicks[0]
	case others == 0:
		return strings.Join(nicks[:shown-1], ", ") + " and " + nicks[shown-1]
	default:
		return fmt.Sprintf("%s and %d others", strings.Join(nicks[:shown], ", "), others)
	}
}

func (a *announcer) stop() {
	a.mu.Lock()
	a.stopped = true
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	a.mu.Unlock()
}

// idle reports whether no gathered announcement waits for its timer.
func (a *announcer) idle() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.timer == nil && len(a.pending) == 0
}
