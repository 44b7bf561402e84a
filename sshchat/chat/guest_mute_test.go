package chat

import (
	"strings"
	"testing"
	"time"
)

// TestGuestMuteHoldsAcrossSessions: a guest is muted by address (as
// pacing, the history budget and the hourly caps count guests), so another
// session from the same address, or the same person reconnecting, stays
// muted.
func TestGuestMuteHoldsAcrossSessions(t *testing.T) {
	clock := &testClock{now: time.Unix(1_000_000, 0)}
	h := quietHub(Config{Now: clock.Now})
	defer h.Close()
	op := operator(t, h, "192.0.2.1:1000")
	g1, err := h.Join(Identity{User: "g", Addr: "198.51.100.7:1000"}, &fakePeer{})
	if err != nil {
		t.Fatal(err)
	}
	h.Handle(op, "/mute "+g1.Nick()+" 1h")
	if text := drainText(op); !strings.Contains(text, "is muted") {
		t.Fatalf("mute: %q", text)
	}
	h.Leave(g1, "reconnecting")
	g2, err := h.Join(Identity{User: "g", Addr: "198.51.100.7:2000"}, &fakePeer{})
	if err != nil {
		t.Fatal(err)
	}
	drainText(g2)
	h.Handle(g2, "still here")
	var text string
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(text, "still here") && !strings.Contains(text, "muted"); {
		if time.Now().After(deadline) {
			t.Fatalf("no answer: %q", text)
		}
		time.Sleep(5 * time.Millisecond)
		text += drainText(g2)
	}
	if strings.Contains(text, ": still here") {
		t.Fatalf("a muted guest's new session talks: %q", text)
	}
}
