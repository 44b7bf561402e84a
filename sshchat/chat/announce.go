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
	nicks  []string
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
		a.pending[n-1].nicks = append(a.pending[n-1].nicks, nick)
	} else {
		a.pending = append(a.pending, run{joined: joined, nicks: []string{nick}})
	}
	switch {
	case a.sent < a.cfg.Burst && a.timer == nil:
		a.sent++
		a.publishPendingLocked()
	case a.timer == nil:
		wait := a.cfg.Window - now.Sub(a.windowStart)
		a.timer = time.AfterFunc(wait, a.flush)
	}
	a.mu.Unlock()
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
	a.publishPendingLocked()
	a.mu.Unlock()
}

// publishPendingLocked publishes under a.mu so announcements keep the order
// in which they were made; lock order is announcer, then room.
func (a *announcer) publishPendingLocked() {
	online := a.room.Len()
	for _, r := range a.pending {
		verb := "left"
		if r.joined {
			verb = "joined"
		}
		text := fmt.Sprintf("%s %s %s. (%d here)", a.names(r.nicks), verb, a.room.name, online) // "online" is the whole server
		a.room.publish(&Event{Kind: KindAnnounce, Text: text}, nil)
	}
	a.pending = a.pending[:0]
}

func (a *announcer) names(nicks []string) string {
	n := len(nicks)
	switch {
	case n == 1:
		return nicks[0]
	case n <= a.cfg.Names:
		return strings.Join(nicks[:n-1], ", ") + " and " + nicks[n-1]
	default:
		return fmt.Sprintf("%s and %d others", strings.Join(nicks[:a.cfg.Names], ", "), n-a.cfg.Names)
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
