package sshchat

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// connLimiter caps concurrent connections in total and per remote address,
// and how fast one address may open new ones. Over a cap a connection is
// refused before any SSH work is done for it.
type connLimiter struct {
	maxTotal, maxPerIP int        // negative: no cap
	newPerMinute       rate.Limit // per address; 0: no cap
	newBurst           int

	mu     sync.Mutex
	total  int
	perIP  map[string]int
	recent map[string]*rate.Limiter
}

// pruneAt is the number of remembered addresses above which addresses
// whose budget is full again are forgotten.
const pruneAt = 4096

func newConnLimiter(maxTotal, maxPerIP, newPerMinute int) *connLimiter {
	l := &connLimiter{maxTotal: maxTotal, maxPerIP: maxPerIP, perIP: make(map[string]int), recent: make(map[string]*rate.Limiter)}
	if newPerMinute > 0 {
		l.newPerMinute = rate.Limit(float64(newPerMinute) / 60)
		l.newBurst = max(newPerMinute/2, 1)
	}
	return l
}

// acquire takes a slot for ip, or reports why there is none.
func (l *connLimiter) acquire(ip string, now time.Time) (ok bool, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxTotal >= 0 && l.total >= l.maxTotal {
		return false, "the server is full"
	}
	if l.maxPerIP >= 0 && l.perIP[ip] >= l.maxPerIP {
		return false, "too many connections from your address"
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
			return false, "too many new connections from your address"
		}
	}
	l.total++
	l.perIP[ip]++
	return true, ""
}

func (l *connLimiter) pruneLocked(now time.Time) {
	for ip, lim := range l.recent {
		if lim.TokensAt(now) >= float64(l.newBurst) {
			delete(l.recent, ip)
		}
	}
}

func (l *connLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
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
	onClose   func()
	closeOnce sync.Once

	mu       sync.Mutex
	sessions int
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
