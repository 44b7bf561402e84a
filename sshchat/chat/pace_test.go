package chat

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPacingDelaysWarnsThenDisconnects(t *testing.T) {
	h := quietHub(Config{Pacing: Pacing{Rate: 2, Burst: 3, WarnAfter: 10 * time.Second, KickAfter: 20 * time.Second}})
	defer h.Close()
	m, peer := join(t, h, "fast")
	drainText(m)
	now := time.Unix(1_000_000, 0)
	for i := range 3 {
		if wait, kick := h.Pace(m, now); wait != 0 || kick {
			t.Fatalf("line %d of the burst waits %v (kick %v)", i, wait, kick)
		}
	}
	// Beyond the burst each line waits half a second more than the last
	// when they all arrive at once...
	for i := 1; i <= 4; i++ {
		wait, kick := h.Pace(m, now)
		if want := time.Duration(i) * 500 * time.Millisecond; wait != want || kick {
			t.Fatalf("paced line %d waits %v, want %v", i, wait, want)
		}
	}
	// ...and a member who keeps the reader busy for WarnAfter is warned
	// once, then cut off at KickAfter.
	var warned bool
	for now = now.Add(2 * time.Second); ; now = now.Add(500 * time.Millisecond) {
		wait, kick := h.Pace(m, now)
		text := drainText(m)
		if strings.Contains(text, "Slow down or you will be disconnected") {
			if warned {
				t.Fatal("warned twice")
			}
			warned = true
		}
		if kick {
			break
		}
		if wait <= 0 {
			t.Fatal("a flooding member was not paced")
		}
		if now.Sub(time.Unix(1_000_000, 0)) > time.Minute {
			t.Fatal("never disconnected")
		}
	}
	select {
	case <-m.Done():
	default:
		t.Fatal("the flooder was not removed")
	}
	if !warned || m.LeaveReason() != "flooding" || m.Removal() != Flooded {
		t.Fatalf("warned=%v reason=%q removal=%v", warned, m.LeaveReason(), m.Removal())
	}
	_ = peer // cut off after a grace period, once their session showed why
}

func TestPacingForgetsAfterAPause(t *testing.T) {
	h := quietHub(Config{Pacing: Pacing{Rate: 1, Burst: 1, WarnAfter: 3 * time.Second, KickAfter: 5 * time.Second}})
	defer h.Close()
	m, peer := join(t, h, "typist")
	now := time.Unix(1_000_000, 0)
	// Bursts separated by pauses never add up to a disconnect.
	for range 20 {
		h.Pace(m, now)
		if wait, _ := h.Pace(m, now); wait <= 0 {
			t.Fatal("second line of a burst not paced")
		}
		now = now.Add(4 * time.Second)
	}
	if peer.disconnected() {
		t.Fatal("a member who pauses was disconnected")
	}
}

func TestPacingOff(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	m, _ := join(t, h, "bot")
	for range 10000 {
		if wait, kick := h.Pace(m, time.Unix(0, 0)); wait != 0 || kick {
			t.Fatal("paced with pacing off")
		}
	}
}

// A guest has no key: every guest session from one address shares one
// allowance, and another address has its own.
func TestPacingGuestsShareTheirAddress(t *testing.T) {
	h := quietHub(Config{Pacing: Pacing{Rate: 0.001, Burst: 2}})
	defer h.Close()
	now := time.Unix(1_000_000, 0)
	guest := func(addr string) *Member {
		m, err := h.Join(Identity{User: "g", Addr: addr}, &fakePeer{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a1, a2, b := guest("192.0.2.1:1000"), guest("192.0.2.1:2000"), guest("[2001:db8::1]:3000")
	for _, m := range []*Member{a1, a2} {
		if wait, _ := h.Pace(m, now); wait != 0 {
			t.Fatalf("line within the burst waits %v", wait)
		}
	}
	if wait, _ := h.Pace(a2, now); wait <= 0 {
		t.Fatal("a third line from one address is not paced: sessions multiply the allowance")
	}
	if wait, _ := h.Pace(b, now); wait != 0 {
		t.Fatalf("another address is paced (%v) by someone else's lines", wait)
	}
}

// Every key that ever sent a line must not stay in memory: the table is
// capped, buckets that filled up again are dropped, and keys beyond the
// cap share one bucket rather than growing the map.
func TestPaceTableIsBounded(t *testing.T) {
	table := newPaceTable(Pacing{Rate: 1, Burst: 1})
	now := time.Unix(1_000_000, 0)
	for i := range maxPacedKeys + 500 {
		table.reserve(fmt.Sprintf("SHA256:key%d", i), now)
	}
	if n := table.size(); n > maxPacedKeys {
		t.Fatalf("%d buckets, want at most %d", n, maxPacedKeys)
	}
	// Keys beyond the cap share the overflow bucket: a second line from
	// one of them is paced like any other.
	if wait, _ := table.reserve("SHA256:late", now); wait <= 0 {
		t.Fatal("a key beyond the cap is not paced")
	}
	// Once the buckets have filled again they are dropped: a new key gets
	// its own bucket and the table shrinks.
	later := now.Add(time.Minute)
	if wait, _ := table.reserve("SHA256:fresh", later); wait != 0 {
		t.Fatalf("a fresh key waits %v", wait)
	}
	if n := table.size(); n != 1 {
		t.Fatalf("%d buckets after everyone went quiet, want 1", n)
	}
}

// Keys that went quiet leave the table within a minute, however small it is.
func TestPaceTableDropsIdleKeys(t *testing.T) {
	table := newPaceTable(Pacing{Rate: 1, Burst: 2})
	now := time.Unix(1_000_000, 0)
	for i := range 100 {
		table.reserve(fmt.Sprintf("SHA256:key%d", i), now)
	}
	table.reserve("SHA256:busy", now.Add(idleSweep))
	if n := table.size(); n != 1 {
		t.Fatalf("%d buckets a minute after 100 keys went quiet, want 1", n)
	}
}

// Guests in one IPv6 /64 are one address everywhere else (connection caps,
// history budget, room and nick caps); pacing must not give each address
// of the /64 an allowance of its own.
func TestPacingGuestsShareTheirIPv6Slash64(t *testing.T) {
	h := quietHub(Config{Pacing: Pacing{Rate: 0.001, Burst: 2}})
	defer h.Close()
	now := time.Unix(1_000_000, 0)
	guest := func(addr string) *Member {
		m, err := h.Join(Identity{User: "g", Addr: addr}, &fakePeer{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a1, a2 := guest("[2001:db8::1]:1000"), guest("[2001:db8::2]:2000")
	for _, m := range []*Member{a1, a1} {
		if wait, _ := h.Pace(m, now); wait != 0 {
			t.Fatalf("line within the burst waits %v", wait)
		}
	}
	if wait, _ := h.Pace(a2, now); wait <= 0 {
		t.Fatal("another address of the same /64 has an allowance of its own")
	}
}
