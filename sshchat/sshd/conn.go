package sshd

import (
	"container/list"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// connLimiter caps connections in two classes. Established connections
// (authenticated, with a channel open) are capped in total and per remote
// address; a person over those caps is refused at authentication, where
// the client can show why. Connections still in their handshake are
// bounded by the startup policy, so that a flood of them cannot crowd
// out people who are in or who authenticate quickly. Before any SSH work,
// an address is refused outright when it holds twice its cap of
// connections of any kind or opens new ones too fast.
type connLimiter struct {
	maxTotal, maxPerIP int        // established connections; negative: no cap
	hardPerIP          int        // connections of any kind per address; negative: no cap
	newPerMinute       rate.Limit // per address; 0: no cap
	newBurst           int
	startups           startupPolicy
	chance             func() float64 // uniform in [0, 1); tests may fix it

	mu      sync.Mutex // lock tier: leaf (nothing is locked or called under it)
	total   int        // established connections
	perIP   map[string]int
	open    map[string]int // connections of any kind per address
	pending list.List      // *connSlot not yet established, oldest first
	recent  map[string]*rate.Limiter
}

// connSlot is one connection's place in the limiter. Its fields are guarded
// by the limiter's mutex, except received.
type connSlot struct {
	ip          string
	drop        func()        // closes the connection; never called under the lock
	received    *atomic.Int64 // bytes read from the client so far; nil: none
	accepted    time.Time
	pending     *list.Element
	established bool
	released    bool
}

// pruneAt is the number of remembered addresses above which addresses
// whose budget is full again are forgotten.
const pruneAt = 4096

// Reasons a connection is refused; the auth-time ones are shown to the
// person by their client.
const (
	whyServerFull  = "the server is full"
	whyTooManyConn = "too many connections from your address"
	whyTooFast     = "too many new connections from your address"
	whyBusy        = "too many connections are starting"
)

func newConnLimiter(maxTotal, maxPerIP, newPerMinute int, startups startupPolicy) *connLimiter {
	l := &connLimiter{
		maxTotal: maxTotal, maxPerIP: maxPerIP, hardPerIP: -1, startups: startups, chance: rand.Float64,
		perIP: make(map[string]int), open: make(map[string]int), recent: make(map[string]*rate.Limiter),
	}
	if maxPerIP >= 0 {
		l.hardPerIP = 2 * max(maxPerIP, 1)
	}
	if newPerMinute > 0 {
		l.newPerMinute = rate.Limit(float64(newPerMinute) / 60)
		l.newBurst = max(newPerMinute/2, 1)
	}
	return l
}

// acquire counts a new connection in, or reports why it is refused. The
// caller must call evicted.drop, if evicted is not nil, once acquire has
// returned: the startup policy dropped that connection to make room.
func (l *connLimiter) acquire(slot *connSlot, now time.Time) (evicted *connSlot, why string) {
	ip := slot.ip
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hardPerIP >= 0 && l.open[ip] >= l.hardPerIP {
		return nil, whyTooManyConn
	}
	if l.newPerMinute > 0 {
		lim := l.recent[ip]
		if lim == nil {
			if len(l.recent) >= pruneAt {
				l.pruneLocked(now)
			}
			lim = rate.NewLimiter(l.newPerMinute, l.newBurst)
			l.recent[ip] = lim
		}
		if !lim.AllowN(now, 1) {
			return nil, whyTooFast
		}
	}
	if p := l.startups.dropChance(l.pending.Len()); p > 0 && (p >= 1 || l.chance() < p) {
		evicted = l.victimLocked(now)
		if evicted == nil && p >= 1 {
			return nil, whyBusy
		}
	}
	slot.accepted = now
	slot.pending = l.pending.PushBack(slot)
	l.open[ip]++
	return evicted, ""
}

// Which unauthenticated connection the startup policy may drop: one whose
// client has sent next to nothing (at most a version line: a real client
// sends its key exchange offer, about a kilobyte, right after its version)
// for startupGrace, or any still unauthenticated after startupStall. The
// grace keeps a burst of people reconnecting after a restart safe: while
// the server is busy it may not have read from a connection yet.
const (
	silentBytes  = 512
	startupGrace = time.Second
	startupStall = 5 * time.Second
)

// victimLocked takes out the oldest connection the startup policy may
// drop, or returns nil when there is none.
func (l *connLimiter) victimLocked(now time.Time) *connSlot {
	for e := l.pending.Front(); e != nil; e = e.Next() {
		s := e.Value.(*connSlot)
		age := now.Sub(s.accepted)
		if age < startupGrace {
			return nil // the rest are younger still
		}
		silent := s.received == nil || s.received.Load() < silentBytes
		if silent || age >= startupStall {
			l.pending.Remove(e)
			s.pending = nil
			return s
		}
	}
	return nil
}

// admissible reports whether a connection from ip could be established
// now, and if not why, for authentication to explain.
func (l *connLimiter) admissible(ip string) (ok bool, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.admissibleLocked(ip)
}

func (l *connLimiter) admissibleLocked(ip string) (bool, string) {
	if l.maxPerIP >= 0 && l.perIP[ip] >= l.maxPerIP {
		return false, whyTooManyConn
	}
	if l.maxTotal >= 0 && l.total >= l.maxTotal {
		return false, whyServerFull
	}
	return true, ""
}

// establish moves an authenticated connection out of the startups and
// counts it against the established caps; it is called when the
// connection opens a channel, and does nothing the second time.
func (l *connLimiter) establish(s *connSlot) (ok bool, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.established {
		return true, ""
	}
	if s.released {
		return false, "the connection is closed"
	}
	if ok, why := l.admissibleLocked(s.ip); !ok {
		return false, why
	}
	if s.pending != nil {
		l.pending.Remove(s.pending)
		s.pending = nil
	}
	s.established = true
	l.total++
	l.perIP[s.ip]++
	return true, ""
}

// pendingCount is how many connections have not been established yet.
func (l *connLimiter) pendingCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pending.Len()
}

func (l *connLimiter) pruneLocked(now time.Time) {
	for ip, lim := range l.recent {
		if lim.TokensAt(now) >= float64(l.newBurst) {
			delete(l.recent, ip)
		}
	}
}

// release gives the slot back; it is safe to call more than once.
func (l *connLimiter) release(s *connSlot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.released {
		return
	}
	s.released = true
	if s.established {
		l.total--
		if l.perIP[s.ip]--; l.perIP[s.ip] <= 0 {
			delete(l.perIP, s.ip)
		}
	} else if s.pending != nil {
		l.pending.Remove(s.pending)
		s.pending = nil
	}
	if l.open[s.ip]--; l.open[s.ip] <= 0 {
		delete(l.open, s.ip)
	}
}

// guardedConn is the server's view of one TCP connection: it gives back its
// limiter slot when closed, and it is closed by a timer when it carries no
// session for too long: wish v1 has no handshake timeout, and a client that
// authenticates and then opens nothing (or keeps the connection after its
// sessions ended) would hold its slot for ever.
type guardedConn struct {
	net.Conn
	ip        string
	slot      *connSlot    // its place in the server's connLimiter
	received  atomic.Int64 // bytes read from the client
	onClose   func()
	closeOnce sync.Once

	mu       sync.Mutex // lock tier: leaf (only timers are armed under it)
	sessions int
	channels int // open session channels, started or not (channels.go)
	timer    *time.Timer
	closed   bool // no timer is armed after Close
}

// maxSessionsPerConn bounds the sessions one connection may carry (OpenSSH
// multiplexes several over one connection with ControlMaster); without it,
// one connection could join the chat any number of times past the caps.
const maxSessionsPerConn = 4

// closeIfIdleAfter closes the connection after d unless a session is open
// by then. log says why it was closed.
func (c *guardedConn) closeIfIdleAfter(d time.Duration, log func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = time.AfterFunc(d, func() {
		c.mu.Lock()
		idle := c.sessions == 0
		c.mu.Unlock()
		if idle {
			log()
			c.Close()
		}
	})
}

// sessionStarted counts a new session, or reports false when the
// connection already carries maxSessionsPerConn.
func (c *guardedConn) sessionStarted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions >= maxSessionsPerConn {
		return false
	}
	c.sessions++
	if c.timer != nil {
		// A connection with a session is not idle: drop the timer (and
		// what it holds) rather than keep it for the session's life;
		// sessionEnded sets a new one.
		c.timer.Stop()
		c.timer = nil
	}
	return true
}

// sessionEnded counts a session out; the connection then has idle to open
// another one before it is closed.
func (c *guardedConn) sessionEnded(idle time.Duration, log func()) {
	c.mu.Lock()
	c.sessions--
	last := c.sessions == 0
	c.mu.Unlock()
	if last {
		c.closeIfIdleAfter(idle, log)
	}
}

func (c *guardedConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Close closes the connection once; it never blocks on the peer, so the
// watchdog and the hub may call it to cut off a stuck client.
func (c *guardedConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		if c.timer != nil {
			c.timer.Stop()
		}
		c.mu.Unlock()
		err = c.Conn.Close()
		c.onClose()
	})
	return err
}

func (c *guardedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.received.Add(int64(n))
	return n, err
}

// The charmbracelet/ssh server resets deadlines on every read and write
// (to none when no idle timeout is set); deadlines are this type's business,
// so those calls are ignored.
func (c *guardedConn) SetDeadline(time.Time) error      { return nil }
func (c *guardedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *guardedConn) SetWriteDeadline(time.Time) error { return nil }

// limiterKey is what connection caps count by: the address, or for IPv6
// its /64, which one subscriber usually holds whole.
func limiterKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Unmap().Is4() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

func remoteIP(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}
