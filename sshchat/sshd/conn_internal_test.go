package sshd

import (
	"net"
	"testing"
	"time"
)

func TestConnLimiterCapsNewConnectionsPerAddress(t *testing.T) {
	l := newConnLimiter(-1, -1, 60, startupPolicy{}) // one a second, bursts of 30
	now := time.Unix(1_000_000, 0)
	for i := range 30 {
		if _, why := l.acquire(&connSlot{ip: "198.51.100.7"}, now); why != "" {
			t.Fatalf("connection %d of the burst refused: %s", i, why)
		}
	}
	if _, why := l.acquire(&connSlot{ip: "198.51.100.7"}, now); why != "too many new connections from your address" {
		t.Fatalf("31st connection at once: why=%q", why)
	}
	if _, why := l.acquire(&connSlot{ip: "198.51.100.8"}, now); why != "" {
		t.Fatal("another address was refused")
	}
	if _, why := l.acquire(&connSlot{ip: "198.51.100.7"}, now.Add(time.Second)); why != "" {
		t.Fatal("a second later the address may connect again")
	}
}

func TestConnLimiterForgetsIdleAddresses(t *testing.T) {
	l := newConnLimiter(-1, -1, 60, startupPolicy{})
	now := time.Unix(1_000_000, 0)
	for i := range pruneAt + 10 {
		ip := string(rune('a'+i%26)) + time.Duration(i).String()
		slot := &connSlot{ip: ip}
		if _, why := l.acquire(slot, now); why != "" {
			t.Fatal("refused")
		}
		if i%2 == 0 {
			if ok, why := l.establish(slot); !ok {
				t.Fatal(why)
			}
		}
		l.release(slot)
		if i == pruneAt/2 {
			now = now.Add(time.Hour) // the first half's budgets are full again
		}
	}
	if n := len(l.recent); n > pruneAt/2+20 {
		t.Fatalf("%d addresses remembered after pruning", n)
	}
	if len(l.perIP) != 0 || l.total != 0 || len(l.open) != 0 || l.pending.Len() != 0 {
		t.Fatalf("slots leaked: total %d, per address %d, open %d, pending %d", l.total, len(l.perIP), len(l.open), l.pending.Len())
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
