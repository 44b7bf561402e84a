package cluster

import (
	"time"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/store"
)

// sequencer restores each room's order by the store's sequence number
// from the stream's order (see the package doc). It is owned by the
// dispatcher goroutine: no lock.
type sequencer struct {
	gapWait time.Duration
	maxHeld int
	held    int
	rooms   map[string]*roomOrder
	// waiting are the rooms with held lines: the gap timer looks at these
	// only, not at every room this node has seen.
	waiting map[string]*roomOrder
}

type roomOrder struct {
	key       string
	next      uint64 // the sequence number expected next; 0: none seen yet
	held      map[uint64]store.Message
	waitSince time.Time // when the oldest held line began to wait
}

func newSequencer(gapWait time.Duration, maxHeld int) *sequencer {
	return &sequencer{gapWait: gapWait, maxHeld: maxHeld, rooms: map[string]*roomOrder{}, waiting: map[string]*roomOrder{}}
}

// add takes one line as the stream delivered it and returns the lines
// now deliverable, in the room's order.
func (s *sequencer) add(m store.Message, now time.Time) []store.Message {
	if m.Seq == 0 {
		return []store.Message{m}
	}
	key := chat.FoldRoom(m.Room)
	r := s.rooms[key]
	if r == nil {
		// The first line of a room this node sees: the order starts here.
		r = &roomOrder{key: key, next: m.Seq}
		s.rooms[key] = r
	}
	switch {
	case m.Seq < r.next:
		return nil // delivered already (or skipped as a given-up gap)
	case m.Seq > r.next:
		if _, dup := r.held[m.Seq]; dup {
			return nil
		}
		if r.held == nil {
			r.held = map[uint64]store.Message{}
		}
		if len(r.held) == 0 {
			r.waitSince = now
			s.waiting[key] = r
		}
		r.held[m.Seq] = m
		s.held++
		if s.held > s.maxHeld {
			return s.giveUpOldest()
		}
		return nil
	}
	out := []store.Message{m}
	r.next = m.Seq + 1
	return s.drain(r, out, now)
}

// drain appends the held lines that follow r.next without a gap.
func (s *sequencer) drain(r *roomOrder, out []store.Message, now time.Time) []store.Message {
	for {
		m, ok := r.held[r.next]
		if !ok {
			break
		}
		delete(r.held, r.next)
		s.held--
		out = append(out, m)
		r.next++
	}
	if len(r.held) > 0 {
		r.waitSince = now // a new gap begins to wait now
	} else {
		delete(s.waiting, r.key)
	}
	return out
}

// skipGap gives up waiting for the lines before r's lowest held line.
func (s *sequencer) skipGap(r *roomOrder, out []store.Message, now time.Time) []store.Message {
	lowest := uint64(0)
	for seq := range r.held {
		if lowest == 0 || seq < lowest {
			lowest = seq
		}
	}
	if lowest == 0 {
		return out
	}
	r.next = lowest
	return s.drain(r, out, now)
}

// expired gives up the gaps that waited GapWait.
func (s *sequencer) expired(now time.Time) []store.Message {
	var out []store.Message
	for _, r := range s.waiting {
		if now.Sub(r.waitSince) >= s.gapWait {
			out = s.skipGap(r, out, now)
		}
	}
	return out
}

// giveUpOldest frees the hold-back space when it is full: the room that
// has waited longest stops waiting.
func (s *sequencer) giveUpOldest() []store.Message {
	var oldest *roomOrder
	for _, r := range s.waiting {
		if oldest == nil || r.waitSince.Before(oldest.waitSince) {
			oldest = r
		}
	}
	if oldest == nil {
		return nil
	}
	return s.skipGap(oldest, nil, time.Now())
}
