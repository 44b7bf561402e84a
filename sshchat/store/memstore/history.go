package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Append queues m for the writer goroutine, which stores it (giving a room
// line without a Seq its room's next one) and calls committed, in Append
// order. The queue drains in microseconds; a full one (a callback that
// blocks) makes Append call committed with store.ErrBusy at once.
func (s *Store) Append(m store.Message, committed func(uint64, error)) {
	s.mu.RLock()
	err := store.ErrClosed
	if !s.closed {
		select {
		case s.queue <- pending{m: m, done: committed}:
			err = nil
		default:
			err = store.ErrBusy
		}
	}
	s.mu.RUnlock()
	if err != nil && committed != nil {
		committed(0, err)
	}
}

// writer stores queued messages one at a time and calls their callbacks
// in order, outside the lock. It ends when Close closed the queue and it
// is drained.
func (s *Store) writer() {
	defer close(s.done)
	for p := range s.queue {
		seq, err := s.commit(p.m)
		if p.done != nil {
			p.done(seq, err)
		}
	}
}

// commit stores m and returns its sequence number.
func (s *Store) commit(m store.Message) (uint64, error) {
	if m.Time.IsZero() {
		return 0, fmt.Errorf("append to %q from %s: message has no time", m.Room, m.From)
	}
	m.Time = m.Time.UTC()
	m.MailboxID = 0
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.Room == "" {
		m.Seq = 0
		s.private = append(s.private, m)
		return 0, nil
	}
	last := s.lastSeq[m.Room]
	if m.Seq == 0 {
		m.Seq = last + 1
	}
	lines := s.history[m.Room]
	i, found := slices.BinarySearchFunc(lines, m.Seq, func(x store.Message, seq uint64) int {
		return compare(x.Seq, seq)
	})
	if found {
		return 0, fmt.Errorf("append %s seq %d: sequence number already stored", m.Room, m.Seq)
	}
	s.history[m.Room] = slices.Insert(lines, i, m)
	s.lastSeq[m.Room] = max(last, m.Seq)
	return m.Seq, nil
}

func compare(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// LastSeqs returns the highest Seq ever stored for every room.
func (s *Store) LastSeqs(context.Context) (map[string]uint64, error) {
	out := make(map[string]uint64)
	err := s.read(func() error {
		for room, seq := range s.lastSeq {
			out[room] = seq
		}
		return nil
	})
	return out, err
}

// Recent returns up to limit lines of room with Seq < before (0: no
// bound), oldest first.
func (s *Store) Recent(_ context.Context, room string, before uint64, limit int) ([]store.Message, error) {
	var out []store.Message
	err := s.read(func() error {
		if limit <= 0 {
			return nil
		}
		lines := s.history[room]
		end := len(lines)
		if before > 0 {
			end, _ = slices.BinarySearchFunc(lines, before, func(x store.Message, seq uint64) int {
				return compare(x.Seq, seq)
			})
		}
		start := max(0, end-limit)
		out = slices.Clone(lines[start:end])
		return nil
	})
	return out, err
}

// PruneBefore deletes room lines and logged private messages older than t.
func (s *Store) PruneBefore(_ context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.write(func() error {
		old := func(m store.Message) bool { return m.Time.Before(t) }
		for room, lines := range s.history {
			kept := slices.DeleteFunc(lines, old)
			n += int64(len(lines) - len(kept))
			s.history[room] = kept
		}
		kept := slices.DeleteFunc(s.private, old)
		n += int64(len(s.private) - len(kept))
		s.private = kept
		return nil
	})
	return n, err
}

// SaveOffline keeps m for m.ToKey, within store.MaxOffline and
// store.MaxOfflinePerSender.
func (s *Store) SaveOffline(_ context.Context, m store.Message) error {
	m, err := store.OfflineToKeep(m)
	if err != nil {
		return err
	}
	return s.write(func() error {
		box := s.mailbox[m.ToKey]
		if err := store.OfflineAdmitted(box, m); err != nil {
			return err
		}
		s.mailID++
		m.MailboxID = s.mailID
		s.mailbox[m.ToKey] = append(box, m)
		return nil
	})
}

// PeekOffline returns the messages kept for toKey, oldest first.
func (s *Store) PeekOffline(_ context.Context, toKey string) ([]store.Message, error) {
	var out []store.Message
	err := s.read(func() error {
		out = slices.Clone(s.mailbox[toKey])
		return nil
	})
	return out, err
}

// DeleteOffline deletes the messages with these ids from toKey's mailbox.
func (s *Store) DeleteOffline(_ context.Context, toKey string, ids []uint64) error {
	return s.write(func() error {
		s.mailbox[toKey] = slices.DeleteFunc(s.mailbox[toKey], func(m store.Message) bool {
			return slices.Contains(ids, m.MailboxID)
		})
		return nil
	})
}
