package sshchat

import (
	"net"
	"sync"
	"time"
)

// connLimiter caps concurrent connections in total and per remote address.
type connLimiter struct {
	maxTotal, maxPerIP int // negative: no cap

	mu    sync.Mutex
	total int
	perIP map[string]int
}

func newConnLimiter(maxTotal, maxPerIP int) *connLimiter {
	return &connLimiter{maxTotal: maxTotal, maxPerIP: maxPerIP, perIP: make(map[string]int)}
}

// acquire takes a slot for ip, or reports why there is none.
func (l *connLimiter) acquire(ip string) (ok bool, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxTotal >= 0 && l.total >= l.maxTotal {
		return false, "the server is full"
	}
	if l.maxPerIP >= 0 && l.perIP[ip] >= l.maxPerIP {
		return false, "too many connections from your address"
	}
	l.total++
	l.perIP[ip]++
	return true, ""
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
// limiter slot when closed, and it is closed by a timer if the SSH handshake
// has not finished in time (wish v1 has no handshake timeout).
type guardedConn struct {
	net.Conn
	ip        string
	onClose   func()
	closeOnce sync.Once
	timer     *time.Timer
}

// Close closes the connection once; it never blocks on the peer, so the
// watchdog and the hub may call it to cut off a stuck client.
func (c *guardedConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		if c.timer != nil {
			c.timer.Stop()
		}
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
