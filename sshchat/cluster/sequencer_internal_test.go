package cluster

import (
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

func seqs(msgs []store.Message) []uint64 {
	var out []uint64
	for _, m := range msgs {
		out = append(out, m.Seq)
	}
	return out
}

func line(room string, seq uint64) store.Message {
	return store.Message{Room: room, Seq: seq, Kind: "msg", Text: "x"}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Two nodes publish a room's lines 5 and 6 independently: the stream may
// carry 6 first, and every node must still show 5 before 6.
func TestLinesOutOfStreamOrderAreDeliveredInRoomOrder(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newSequencer(time.Second, 100)
	if got := seqs(s.add(line("#a", 4), now)); !equal(got, []uint64{4}) {
		t.Fatalf("first line: %v", got)
	}
	if got := s.add(line("#a", 6), now); len(got) != 0 {
		t.Fatalf("6 before 5 was delivered: %v", seqs(got))
	}
	if got := seqs(s.add(line("#b", 9), now)); !equal(got, []uint64{9}) {
		t.Fatalf("another room waits for #a's gap: %v", got)
	}
	if got := seqs(s.add(line("#a", 5), now)); !equal(got, []uint64{5, 6}) {
		t.Fatalf("after 5: %v", got)
	}
	// At least once: a line delivered again is dropped, held or not.
	if got := s.add(line("#a", 5), now); len(got) != 0 {
		t.Fatalf("duplicate delivered: %v", seqs(got))
	}
	s.add(line("#a", 8), now)
	if got := s.add(line("#a", 8), now); len(got) != 0 {
		t.Fatalf("held duplicate delivered: %v", seqs(got))
	}
	if s.held != 1 {
		t.Fatalf("held %d, want 1", s.held)
	}
}

// A line whose predecessor never comes (its node died after the store
// committed it) waits GapWait, not forever.
func TestLostPredecessorIsGivenUpAfterGapWait(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newSequencer(time.Second, 100)
	s.add(line("#a", 1), now)
	s.add(line("#a", 3), now)
	s.add(line("#a", 4), now)
	if got := s.expired(now.Add(999 * time.Millisecond)); len(got) != 0 {
		t.Fatalf("given up early: %v", seqs(got))
	}
	if got := seqs(s.expired(now.Add(time.Second))); !equal(got, []uint64{3, 4}) {
		t.Fatalf("after GapWait: %v", got)
	}
	if got := s.add(line("#a", 2), now); len(got) != 0 {
		t.Fatalf("the given-up line came late and was delivered out of order: %v", seqs(got))
	}
	if s.held != 0 || len(s.waiting) != 0 {
		t.Fatalf("held %d waiting %d after the gap closed", s.held, len(s.waiting))
	}
}

// A flood of lines with gaps (many rooms, each missing a line) cannot
// grow the hold-back past MaxHeld.
func TestHeldLinesAreCapped(t *testing.T) {
	now := time.Unix(1000, 0)
	const maxHeld = 50
	s := newSequencer(time.Hour, maxHeld)
	delivered := 0
	for r := range 200 {
		room := "#r" + string(rune('a'+r%26)) + string(rune('a'+r/26))
		s.add(line(room, 1), now)
		for seq := uint64(3); seq < 10; seq++ {
			delivered += len(s.add(line(room, seq), now.Add(time.Duration(r)*time.Millisecond)))
			if s.held > maxHeld {
				t.Fatalf("held %d lines, cap %d", s.held, maxHeld)
			}
		}
	}
	if delivered == 0 {
		t.Fatal("nothing given up although the cap was passed")
	}
}
