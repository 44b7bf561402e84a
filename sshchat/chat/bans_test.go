package chat

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// operator joins an operator from the admins file at addr.
func operator(t *testing.T, h *Hub, addr string) *Member {
	t.Helper()
	h.SetFileOperators([]string{"SHA256:root"})
	m, err := h.Join(Identity{User: "root", Fingerprint: "SHA256:root", Addr: addr}, &fakePeer{})
	if err != nil {
		t.Fatal(err)
	}
	drainText(m)
	return m
}

// Address bans of any prefix length refuse exactly the addresses they
// cover, found by one probe per prefix length in use; what expired is
// dropped from memory.
func TestAddressBansAreIndexedAndExpire(t *testing.T) {
	clock := &testClock{now: time.Unix(1_000_000, 0)}
	h := quietHub(Config{Now: clock.Now})
	defer h.Close()
	op := operator(t, h, "192.0.2.1:1000")
	for _, cmd := range []string{"/ban ip:10.0.0.0/8 10m", "/ban ip:198.51.100.7", "/ban ip:2001:db8::/32 1h", "/ban ip:203.0.113.0/24"} {
		h.Handle(op, cmd)
		if text := drainText(op); !strings.Contains(text, "was banned by root") {
			t.Fatalf("%s: %q", cmd, text)
		}
	}
	for ip, banned := range map[string]bool{
		"10.1.2.3": true, "11.0.0.1": false, "198.51.100.7": true, "198.51.100.8": false,
		"2001:db8::1": true, "2001:db9::1": false, "203.0.113.200": true, "::ffff:10.0.0.1": true,
	} {
		if ok, _ := h.Admission("", ip); ok == banned {
			t.Errorf("Admission from %s: admitted %v, want %v", ip, ok, !banned)
		}
	}
	h.mod.mu.RLock()
	lens := len(h.mod.ipBanLens)
	h.mod.mu.RUnlock()
	if lens != 3 {
		t.Fatalf("%d prefix lengths indexed, want 3 (8, 24, 32: IPv4 and IPv6 /32 share one)", lens)
	}
	// The admins file's keys are never refused for their address.
	if ok, why := h.Admission("SHA256:root", "10.9.9.9"); !ok {
		t.Errorf("an admins-file key was refused for its address: %s", why)
	}
	clock.advance(2 * time.Hour)
	if ok, _ := h.Admission("", "10.1.2.3"); !ok {
		t.Error("an expired address ban still refuses")
	}
	// The next admission after a minute sweeps what expired.
	h.Admission("", "192.0.2.99")
	h.mod.mu.Lock()
	n, lens := h.mod.banCountLocked(), len(h.mod.ipBanLens)
	h.mod.mu.Unlock()
	if n != 2 || lens != 2 {
		t.Fatalf("after expiry: %d bans, %d prefix lengths in memory; want the 2 permanent ones", n, lens)
	}
}

// The ban table is bounded: past maxBans a new ban is refused with a
// message, unless expired bans can make room.
func TestBanTableIsBounded(t *testing.T) {
	clock := &testClock{now: time.Unix(1_000_000, 0)}
	h := quietHub(Config{Now: clock.Now})
	defer h.Close()
	op := operator(t, h, "192.0.2.1:1000")
	h.mod.mu.Lock()
	for i := range maxBans {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		h.mod.addBanLocked(store.Ban{Target: "ip:" + ip.String(), Expires: clock.Now().Add(time.Hour)})
	}
	h.mod.mu.Unlock()
	h.Handle(op, "/ban ip:198.51.100.7")
	if text := drainText(op); !strings.Contains(text, fmt.Sprintf("Not banned: %d bans are in force", maxBans)) {
		t.Fatalf("ban past the bound: %q", text)
	}
	if ok, _ := h.Admission("", "198.51.100.7"); !ok {
		t.Fatal("a refused ban is in force")
	}
	clock.advance(2 * time.Hour)
	h.Handle(op, "/ban ip:198.51.100.7")
	if text := drainText(op); !strings.Contains(text, "was banned by root") {
		t.Fatalf("ban once the old ones expired: %q", text)
	}
	h.mod.mu.RLock()
	n := h.mod.banCountLocked()
	h.mod.mu.RUnlock()
	if n != 1 {
		t.Fatalf("%d bans in memory, want 1", n)
	}
}

// The mute table is bounded the same way.
func TestMuteTableIsBounded(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	op := operator(t, h, "192.0.2.1:1000")
	join(t, h, "bob")
	h.mod.mu.Lock()
	for i := range maxMutes {
		h.mod.mutes[fmt.Sprintf("SHA256:k%d", i)] = store.Mute{}
	}
	h.mod.mu.Unlock()
	h.Handle(op, "/mute bob")
	if text := drainText(op); !strings.Contains(text, fmt.Sprintf("Not muted: %d mutes are in force", maxMutes)) {
		t.Fatalf("mute past the bound: %q", text)
	}
}

func BenchmarkAdmissionWithManyBans(b *testing.B) {
	h := quietHub(Config{})
	defer h.Close()
	h.mod.mu.Lock()
	for i := range maxBans {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		h.mod.addBanLocked(store.Ban{Target: "ip:" + ip.String()})
		h.mod.addBanLocked(store.Ban{Target: fmt.Sprintf("SHA256:k%d", i)})
	}
	h.mod.addBanLocked(store.Ban{Target: "ip:172.16.0.0/12"})
	h.mod.mu.Unlock()
	for b.Loop() {
		h.Admission("SHA256:someone", "192.0.2.55")
	}
}
