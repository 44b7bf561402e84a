package chat

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// hourlyLimiter counts what each key (or guest address) did in a fixed
// window and refuses past a limit. Its map is bounded: when it is full,
// windows that ended are dropped, and if every entry is still current the
// newcomer is refused. Failing closed keeps memory bounded against
// someone cycling through addresses; it costs only the creation of new
// things (rooms, nick claims), never talking.
type hourlyLimiter struct {
	limit   int // per window; <= 0: no limit
	window  time.Duration
	tracked int // most entries kept

	mu     sync.Mutex // tier: leaf (no lock is taken under it)
	counts map[string]*windowCount
}

type windowCount struct {
	start time.Time
	n     int
}

// defaultTracked bounds each limiter's map: far more keys and addresses
// than one server sees creating things in an hour.
const defaultTracked = 10000

func newHourlyLimiter(limit, tracked int) *hourlyLimiter {
	return &hourlyLimiter{limit: limit, window: time.Hour, tracked: tracked, counts: make(map[string]*windowCount)}
}

// allow counts one more for who at now and reports whether it is within
// the limit; wait is how long until who may again when it is not.
func (l *hourlyLimiter) allow(who string, now time.Time) (ok bool, wait time.Duration) {
	if l.limit <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.counts[who]
	if c != nil && now.Sub(c.start) >= l.window {
		c.start, c.n = now, 0
	}
	if c == nil {
		if len(l.counts) >= l.tracked {
			l.dropEndedLocked(now)
		}
		if len(l.counts) >= l.tracked {
			return false, l.window
		}
		c = &windowCount{start: now}
		l.counts[who] = c
	}
	if c.n >= l.limit {
		return false, c.start.Add(l.window).Sub(now)
	}
	c.n++
	return true, 0
}

// refund gives back one count of who (the thing was not created after all).
func (l *hourlyLimiter) refund(who string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.counts[who]; c != nil && c.n > 0 {
		c.n--
	}
}

func (l *hourlyLimiter) dropEndedLocked(now time.Time) {
	for who, c := range l.counts {
		if now.Sub(c.start) >= l.window {
			delete(l.counts, who)
		}
	}
}

// size returns how many entries the limiter keeps (for tests).
func (l *hourlyLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.counts)
}

// actorKey is whom a per-key limit counts: the key, or for a guest the
// address (IPv6 addresses by their /64, which one subscriber usually has
// whole).
func actorKey(key, addr string) string {
	if key != "" {
		return key
	}
	return "addr:" + addressKey(addr)
}

// addressKey is the address part of addr ("ip:port" or a bare IP), IPv6
// reduced to its /64.
func addressKey(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}
