package chat

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRoomFloodFromFreshKeysIsCapped: keys cost nothing to make, so a
// script with a fresh key per connection must not get RoomsPerHour rooms
// per key: the keys of one address share roomsPerAddrFactor times that.
func TestRoomFloodFromFreshKeysIsCapped(t *testing.T) {
	h := quietHub(Config{RoomsPerHour: 2, MaxRooms: -1})
	defer h.Close()
	created := 0
	var refused string
	for k := range 10 {
		m, err := h.Join(Identity{User: fmt.Sprintf("k%d", k), Fingerprint: fmt.Sprintf("SHA256:fresh%d", k), Addr: "198.51.100.7:4000"}, &fakePeer{})
		if err != nil {
			t.Fatal(err)
		}
		drainText(m)
		for r := range 2 {
			h.Handle(m, fmt.Sprintf("/join #k%dr%d", k, r))
			text := waitAnswer(t, m, "You are now in", "Not joined")
			if strings.Contains(text, "You are now in") {
				created++
			} else {
				refused = text
			}
		}
		h.Leave(m, "next key")
	}
	if want := 2 * roomsPerAddrFactor; created != want {
		t.Fatalf("10 fresh keys of one address created %d rooms; want %d (last refusal %q)", created, want, refused)
	}
	if !strings.Contains(refused, "the keys of your address may create 6 rooms an hour") {
		t.Fatalf("refusal: %q", refused)
	}
	// Another address is not affected.
	m, err := h.Join(Identity{User: "other", Fingerprint: "SHA256:other", Addr: "203.0.113.9:4000"}, &fakePeer{})
	if err != nil {
		t.Fatal(err)
	}
	drainText(m)
	h.Handle(m, "/join #elsewhere")
	if text := waitAnswer(t, m, "You are now in", "Not joined"); !strings.Contains(text, "You are now in #elsewhere") {
		t.Fatalf("another address: %q", text)
	}
}

// waitAnswer drains m's outbox until one of answers shows up (or fails the
// test after a generous deadline) and returns what it read.
func waitAnswer(t *testing.T, m *Member, answers ...string) string {
	t.Helper()
	var text string
	deadline := time.Now().Add(10 * time.Second)
	for {
		text += drainText(m)
		for _, a := range answers {
			if strings.Contains(text, a) {
				return text
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("none of %q in %q", answers, text)
		}
		time.Sleep(time.Millisecond)
	}
}
