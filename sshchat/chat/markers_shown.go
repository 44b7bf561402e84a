package chat

// shownMarks is the highest Seq a member was shown in each room. Almost
// every member is in one room, so the first room is kept inline and a map
// is made only for a second: a map of one entry costs about 250 bytes on
// every idle session (a bucket and its header), the inline pair 24.
// Guarded by memberMarks.mu.
type shownMarks struct {
	room string // "" until the first mark
	seq  uint64
	more map[string]uint64 // every other room, made on the first one
}

// raise records that room was shown up to seq (never lowers a mark).
func (s *shownMarks) raise(room string, seq uint64) {
	switch {
	case s.room == "" || s.room == room:
		s.room, s.seq = room, max(s.seq, seq)
	default:
		if s.more == nil {
			s.more = make(map[string]uint64)
		}
		s.more[room] = max(s.more[room], seq)
	}
}

// len is how many rooms have a mark.
func (s *shownMarks) len() int {
	if s.room == "" {
		return 0
	}
	return 1 + len(s.more)
}

// each calls fn for every room's mark.
func (s *shownMarks) each(fn func(room string, seq uint64)) {
	if s.room == "" {
		return
	}
	fn(s.room, s.seq)
	for room, seq := range s.more {
		fn(room, seq)
	}
}
