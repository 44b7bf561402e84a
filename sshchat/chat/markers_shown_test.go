package chat

import "testing"

// TestShownMarksKeepsTheHighestPerRoom: the first room is kept inline, the
// others in a map made on demand; a mark never goes down.
func TestShownMarksKeepsTheHighestPerRoom(t *testing.T) {
	var s shownMarks
	if s.len() != 0 || s.more != nil {
		t.Fatalf("zero value: len %d, map %v", s.len(), s.more)
	}
	s.raise("lobby", 5)
	s.raise("lobby", 3)
	if s.more != nil {
		t.Fatal("one room made a map")
	}
	s.raise("dev", 7)
	s.raise("dev", 2)
	s.raise("lobby", 9)
	got := map[string]uint64{}
	s.each(func(room string, seq uint64) { got[room] = seq })
	if s.len() != 2 || len(got) != 2 || got["lobby"] != 9 || got["dev"] != 7 {
		t.Fatalf("marks %v (len %d), want lobby 9 and dev 7", got, s.len())
	}
}
