package chat

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The summary shown at login is the work /unread does (up to
// maxSummaryRooms rooms, each a count and a mention scan), and /unread
// answers a key once every unreadEvery. A key that opens and closes
// sessions in a loop must not get that work at will either: each key may
// have loginSummaryBurst summaries at once and one more every
// loginSummaryEvery; past that a login shows the unread lines of the room
// it lands in (one count) and points to /unread.
const (
	loginSummaryBurst = 5
	loginSummaryEvery = 10 * time.Second
)

// summaryLimiter is the per-key allowance of login summaries, bounded to
// maxUnreadAskers keys (keys whose allowance is full again are forgotten
// first; when none is, a new key gets no summary until one is).
type summaryLimiter struct {
	mu   sync.Mutex // tier: leaf; no I/O under it
	keys map[string]*rate.Limiter
}

// allow reports whether key may have a login summary now, and counts it.
func (l *summaryLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys = make(map[string]*rate.Limiter)
	}
	lim := l.keys[key]
	if lim == nil {
		if len(l.keys) >= maxUnreadAskers {
			for k, old := range l.keys {
				if old.TokensAt(now) >= loginSummaryBurst {
					delete(l.keys, k)
				}
			}
			if len(l.keys) >= maxUnreadAskers {
				return false
			}
		}
		lim = rate.NewLimiter(rate.Every(loginSummaryEvery), loginSummaryBurst)
		l.keys[key] = lim
	}
	return lim.AllowN(now, 1)
}
