package sshd

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestParseStartups(t *testing.T) {
	for spec, want := range map[string]startupPolicy{
		"64:30:256": {64, 30, 256},
		"10":        {10, 100, 10},
		"off":       {},
		"-1":        {},
	} {
		got, err := parseStartups(spec)
		if err != nil || got != want {
			t.Errorf("parseStartups(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"", "a:b:c", "10:30", "300:30:256", "1:101:2", "0:0:0", "1:-1:5"} {
		if _, err := parseStartups(bad); err == nil {
			t.Errorf("parseStartups(%q) accepted", bad)
		}
	}
}

// TestHandshakeFloodDropsTheOldestUnauthenticated drives the limiter past
// its startup cap: it never holds more than full unauthenticated
// connections, drops the oldest stalled one first, never an established
// one nor a handshake that progresses, and refuses newcomers only when
// nothing can be dropped.
func TestHandshakeFloodDropsTheOldestUnauthenticated(t *testing.T) {
	l := newConnLimiter(-1, -1, -1, startupPolicy{start: 4, rate: 50, full: 8})
	coin := 0.99 // above every drop chance below 100%: drop only at full
	l.chance = func() float64 { return coin }
	now := time.Unix(1_000_000, 0)
	in := &connSlot{ip: "192.0.2.1"}
	if _, why := l.acquire(in, now); why != "" {
		t.Fatal(why)
	}
	if ok, why := l.establish(in); !ok {
		t.Fatal(why)
	}
	// A handshake that progresses (it sent its key exchange offer).
	var sent atomic.Int64
	sent.Store(1500)
	busy := &connSlot{ip: "192.0.2.2", received: &sent}
	if _, why := l.acquire(busy, now); why != "" {
		t.Fatal(why)
	}
	var slots []*connSlot
	var dropped []*connSlot
	for i := range 16 { // less than startupStall
		now = now.Add(startupGrace / 4) // the flood: four silent sockets per grace
		s := &connSlot{ip: "198.51.100.1"}
		evicted, why := l.acquire(s, now)
		if why != "" {
			t.Fatalf("connection %d refused: %s", i, why)
		}
		if evicted != nil {
			dropped = append(dropped, evicted)
			l.release(evicted) // as its Close would
		}
		slots = append(slots, s)
		if n := l.pendingCount(); n > 8 {
			t.Fatalf("%d unauthenticated connections held, want at most 8", n)
		}
	}
	if len(dropped) != 9 {
		t.Fatalf("%d dropped, want 9", len(dropped))
	}
	for i, d := range dropped {
		if d != slots[i] {
			t.Fatalf("drop %d was not the oldest silent connection", i)
		}
	}
	if in.pending != nil || busy.pending == nil {
		t.Fatal("an established connection or a progressing handshake was dropped")
	}
	// Silent sockets younger than the grace fill the startups: nothing
	// may be dropped yet, the newcomer is refused.
	young := newConnLimiter(-1, -1, -1, startupPolicy{start: 2, rate: 100, full: 2})
	for range 2 {
		if _, why := young.acquire(&connSlot{ip: "203.0.113.8"}, now); why != "" {
			t.Fatal(why)
		}
	}
	if _, why := young.acquire(&connSlot{ip: "203.0.113.9"}, now.Add(startupGrace/2)); why != whyBusy {
		t.Fatalf("newcomer at full with nothing to drop: %q", why)
	}
	if evicted, why := young.acquire(&connSlot{ip: "203.0.113.9"}, now.Add(startupGrace)); why != "" || evicted == nil {
		t.Fatalf("newcomer once the grace passed: %q, dropped %v", why, evicted != nil)
	}
	// A handshake stalled for startupStall may be dropped too.
	now = now.Add(startupStall)
	for range 8 {
		evicted, why := l.acquire(&connSlot{ip: "203.0.113.9"}, now)
		if why != "" || evicted == nil {
			t.Fatalf("newcomer once all are stalled: %q, dropped %v", why, evicted != nil)
		}
		l.release(evicted)
	}
	if busy.pending != nil {
		t.Fatal("the stalled handshake was kept")
	}

	// Between start and full, a new connection drops the oldest stalled
	// one with a chance from rate% upwards.
	coin = 0
	l2 := newConnLimiter(-1, -1, -1, startupPolicy{start: 4, rate: 50, full: 8})
	l2.chance = func() float64 { return coin }
	for i := range 6 {
		evicted, _ := l2.acquire(&connSlot{ip: "x"}, now.Add(time.Duration(i)*startupGrace))
		if (evicted != nil) != (i >= 4) {
			t.Fatalf("connection %d: dropped=%v", i, evicted != nil)
		}
	}
}

// TestEstablishedCapsAreCheckedAtAuthentication: the caps on established
// connections refuse at authentication and count only established ones.
func TestEstablishedCapsAreCheckedAtAuthentication(t *testing.T) {
	l := newConnLimiter(3, 2, -1, startupPolicy{})
	now := time.Unix(1_000_000, 0)
	acquire := func(ip string) *connSlot {
		s := &connSlot{ip: ip}
		if _, why := l.acquire(s, now); why != "" {
			t.Fatalf("%s refused before the handshake: %s", ip, why)
		}
		return s
	}
	a1, a2, a3 := acquire("a"), acquire("a"), acquire("a")
	for _, s := range []*connSlot{a1, a2} {
		if ok, why := l.establish(s); !ok {
			t.Fatal(why)
		}
	}
	if ok, why := l.admissible("a"); ok || why != whyTooManyConn {
		t.Fatalf("third from a: %v %q", ok, why)
	}
	if ok, _ := l.establish(a3); ok {
		t.Fatal("third from a established")
	}
	acquire("a") // 4 of any kind: still under the hard cap of 2×2
	if _, why := l.acquire(&connSlot{ip: "a"}, now); why != whyTooManyConn {
		t.Fatalf("fifth from a before the handshake: %q", why)
	}
	b := acquire("b")
	if ok, why := l.establish(b); !ok {
		t.Fatal(why)
	}
	if ok, why := l.admissible("c"); ok || why != whyServerFull {
		t.Fatalf("c when full: %v %q", ok, why)
	}
	l.release(a1)
	if ok, _ := l.admissible("c"); !ok {
		t.Fatal("slot not released")
	}
}
