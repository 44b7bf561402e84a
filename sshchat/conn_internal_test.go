package sshchat

import (
	"net"
	"testing"
	"time"
)

func TestConnLimiterCapsNewConnectionsPerAddress(t *testing.T) {
	l := newConnLimiter(-1, -1, 60) // one a second, bursts of 30
	now := time.Unix(1_000_000, 0)
	for i := range 30 {
		if ok, why := l.acquire("198.51.100.7", now); !ok {
			t.Fatalf("connection %d of the burst refused: %s", i, why)
		}
	}
	if ok, why := l.acquire("198.51.100.7", now); ok || why != "too many new connections from your address" {
		t.Fatalf("31st connection at once: ok=%v why=%q", ok, why)
	}
	if ok, _ := l.acquire("198.51.100.8", now); !ok {
		t.Fatal("another address was refused")
	}
	if ok, _ := l.acquire("198.51.100.7", now.Add(time.Second)); !ok {
		t.Fatal("a second later the address may connect again")
	}
}

func TestConnLimiterForgetsIdleAddresses(t *testing.T) {
	l := newConnLimiter(-1, -1, 60)
	now := time.Unix(1_000_000, 0)
	for i := range pruneAt + 10 {
		ip := string(rune('a'+i%26)) + time.Duration(i).String()
		if ok, _ := l.acquire(ip, now); !ok {
			t.Fatal("refused")
		}
		l.release(ip)
		if i == pruneAt/2 {
			now = now.Add(time.Hour) // the first half's budgets are full again
		}
	}
	if n := len(l.recent); n > pruneAt/2+20 {
		t.Fatalf("%d addresses remembered after pruning", n)
	}
	if len(l.perIP) != 0 || l.total != 0 {
		t.Fatalf("slots leaked: total %d, per address %d", l.total, len(l.perIP))
	}
}

func TestNoIdleTimerAfterClose(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	c := &guardedConn{Conn: a, onClose: func() {}}
	c.sessionStarted()
	c.Close()
	fired := make(chan struct{}, 1)
	c.sessionEnded(time.Millisecond, func() { fired <- struct{}{} })
	c.mu.Lock()
	armed := c.timer != nil && c.timer.Stop()
	c.mu.Unlock()
	if armed {
		t.Fatal("an idle timer was armed on a closed connection")
	}
	select {
	case <-fired:
		t.Fatal("the idle timer fired after Close")
	default:
	}
}
