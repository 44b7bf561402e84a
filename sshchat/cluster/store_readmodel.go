package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// The read model: every room line of the stream, applied to the local
// store with the number it was published with. Applying a line again (a
// restart reads the stream from its saved mark, see store_applied.go) is
// refused by the local store as a number already stored, which is
// harmless.

// startReadModel consumes the stream from just after the saved mark (from
// its start the first time, or when the stream is younger than the mark:
// a new stream) and waits until what was in it at open is applied.
func (s *Store) startReadModel(ctx context.Context) error {
	st, err := s.stream.State(ctx)
	if err != nil {
		return fmt.Errorf("cluster store: stream state: %w", err)
	}
	saved, err := s.savedMark(ctx, st.Created)
	if err != nil {
		return err
	}
	if saved > st.LastSeq {
		s.log.Warn("read model: the stream is behind the saved mark (a new stream?): reading it from its start",
			"mark", saved, "stream_last", st.LastSeq)
		saved = 0
	}
	s.mark, s.markSaved = newAppliedMark(saved), saved
	caughtUp := make(chan struct{})
	var reached atomic.Bool
	if st.LastSeq <= saved {
		reached.Store(true)
		close(caughtUp)
	}
	// applying counts the lines handed to the local store and not yet
	// committed: caught up means committed, not only handed over. Only
	// the consumer's goroutine adds to it, and it waits on it only there.
	var applying sync.WaitGroup
	s.consumer, err = s.stream.Consume(ctx, saved+1, func(d natsjs.Delivery) {
		if !reached.Load() {
			applying.Add(1)
			s.apply(d, applying.Done)
		} else {
			s.apply(d, nil)
		}
		if d.Seq >= st.LastSeq && !reached.Swap(true) {
			applying.Wait()
			close(caughtUp)
		}
		s.saveMark(false)
	})
	if err != nil {
		return fmt.Errorf("cluster store: read the stream: %w", err)
	}
	select {
	case <-caughtUp:
		return nil
	case <-ctx.Done():
		s.consumer.Stop()
		return fmt.Errorf("cluster store: read the stream up to %d: %w", st.LastSeq, ctx.Err())
	}
}

// apply writes one room line into the local store; the line's waiter, if
// this node published it, is called back once the local store has it.
// applied, if not nil, is called once the local store is done with it.
func (s *Store) apply(d natsjs.Delivery, applied func()) {
	if applied == nil {
		applied = func() {}
	}
	kind, _, err := s.subj.Parse(d.Subject)
	if err != nil || kind != natsjs.KindRoom {
		s.mark.hand(d.Seq, false)
		applied()
		return
	}
	var m store.Message
	if err := json.Unmarshal(d.Payload, &m); err != nil || m.Room == "" || m.Seq == 0 {
		s.log.Warn("read model: ignoring an undecodable line", "stream_seq", d.Seq)
		s.mark.hand(d.Seq, false)
		applied()
		return
	}
	id, streamSeq := d.MsgID, d.Seq
	s.mark.hand(streamSeq, true)
	s.applies.Add(1)
	s.local.Append(m, func(_ uint64, err error) {
		if err != nil && strings.Contains(err.Error(), "already stored") {
			err = nil // applied before: re-reading the stream is harmless
		}
		if err != nil {
			s.log.Error("read model: apply", "room", m.Room, "seq", m.Seq, "err", err)
		}
		s.mark.committed(streamSeq, err == nil)
		s.finishWaiter(id, m.Seq, err)
		applied()
	})
}

func (s *Store) addWaiter(id string, seq uint64, cb func(uint64, error)) *waiter {
	w := &waiter{seq: seq, cb: cb}
	s.waitMu.Lock()
	s.waiters[id] = append(s.waiters[id], w)
	s.waitMu.Unlock()
	return w
}

// removeWaiter takes w back (its publish failed) and reports whether it
// was still waiting.
func (s *Store) removeWaiter(id string, w *waiter) bool {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	ws := s.waiters[id]
	for i, x := range ws {
		if x == w {
			s.waiters[id] = append(ws[:i:i], ws[i+1:]...)
			if len(s.waiters[id]) == 0 {
				delete(s.waiters, id)
			}
			return !w.done
		}
	}
	return false
}

// finishWaiter calls back the oldest waiter of id: its line is applied.
func (s *Store) finishWaiter(id string, seq uint64, err error) {
	s.waitMu.Lock()
	ws := s.waiters[id]
	if len(ws) == 0 {
		s.waitMu.Unlock()
		return
	}
	w := ws[0]
	if len(ws) == 1 {
		delete(s.waiters, id)
	} else {
		s.waiters[id] = ws[1:]
	}
	w.done = true
	s.waitMu.Unlock()
	w.cb(seq, err)
}

// waitApplied waits, at most d, until every line published is applied.
func (s *Store) waitApplied(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s.waitMu.Lock()
		n := len(s.waiters)
		s.waitMu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// failWaiters calls back every line still waiting with err.
func (s *Store) failWaiters(err error) {
	s.waitMu.Lock()
	var ws []*waiter
	for _, list := range s.waiters {
		ws = append(ws, list...)
	}
	s.waiters = map[string][]*waiter{}
	s.waitMu.Unlock()
	for _, w := range ws {
		if !w.done {
			w.cb(0, err)
		}
	}
}
