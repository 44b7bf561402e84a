package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// History through the stream: a room line gets its room's next number
// from the counters bucket (compare-and-set: one winner per number across
// nodes), is published to the stream with the id "<room>/<seq>" (a retry,
// or a second line claiming a stored number, is stored once), and is
// called back once this node's read model has applied it from the
// stream, so Recent right after the callback shows it. Private messages
// stay in the local store's private log.

type appendReq struct {
	m  store.Message
	cb func(uint64, error)
}

// waiter is a line this node published, waiting for the read model.
type waiter struct {
	seq  uint64
	cb   func(uint64, error)
	done bool
}

// errSeqStored: a line with an explicit number that is taken.
var errSeqStored = errors.New("sequence number already stored")

// Append queues m for the writer. It waits at most AppendWait while the
// queue is full, then fails with store.ErrBusy. The callback of a refused
// line runs here, after the lock is released.
func (s *Store) Append(m store.Message, committed func(uint64, error)) {
	if committed == nil {
		committed = func(uint64, error) {}
	}
	if err := s.enqueue(appendReq{m, committed}); err != nil {
		committed(0, err)
	}
}

// enqueue hands req to the writer. It holds closeMu's read lock while it
// waits for room (at most AppendWait, no I/O), so that Close never closes
// the queue under a sender.
func (s *Store) enqueue(req appendReq) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	select {
	case s.queue <- req:
		return nil
	default:
	}
	t := time.NewTimer(s.o.AppendWait)
	defer t.Stop()
	select {
	case s.queue <- req:
		return nil
	case <-t.C:
		return store.ErrBusy
	}
}

// writeLoop takes lines in Append order, every line already queued at
// once (see store_batch.go): each room's numbers and stream order follow
// its Append order.
func (s *Store) writeLoop() {
	defer s.writerWG.Done()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in store writer", "panic", r)
		}
	}()
	batch := make([]appendReq, 0, maxBatchLines)
	for req := range s.queue {
		batch = s.takeBatch(batch, req)
		s.writeBatch(batch)
	}
}

func (s *Store) write(req appendReq) {
	m := req.m
	if m.Time.IsZero() {
		req.cb(0, fmt.Errorf("append %s: message without time", m.Room))
		return
	}
	if m.Room == "" {
		s.local.Append(m, func(_ uint64, err error) { req.cb(0, err) })
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*appliedWait)
	defer cancel()
	seq, err := s.nextSeq(ctx, m.Room, m.Seq)
	if err != nil {
		req.cb(0, fmt.Errorf("append %s: number the line: %w", m.Room, err))
		return
	}
	m.Seq = seq
	subject, err := s.subj.Room(store.Fold(m.Room))
	if err != nil {
		req.cb(0, fmt.Errorf("append %s: %w", m.Room, err))
		return
	}
	payload, err := json.Marshal(m)
	if err != nil {
		req.cb(0, fmt.Errorf("append %s: encode: %w", m.Room, err))
		return
	}
	id := msgID(m.Room, seq)
	w := s.addWaiter(id, seq, req.cb)
	ack, err := s.publish(ctx, subject, payload, id)
	if err == nil && ack.Duplicate {
		err = fmt.Errorf("append %s seq %d: %w", m.Room, seq, errSeqStored)
	}
	if err != nil {
		if s.removeWaiter(id, w) {
			req.cb(0, err)
		}
	}
}

// publish retries a publish that NATS could not take now, with the same
// id (stored once), a few times within about a second: enough for a blip,
// short enough that while NATS is away the sender is told at once that
// the line was not sent (and nobody is shown it).
func (s *Store) publish(ctx context.Context, subject string, payload []byte, id string) (natsjs.Ack, error) {
	wait := defaultRetryWait
	for attempt := 1; ; attempt++ {
		ack, err := s.stream.Publish(ctx, subject, payload, id)
		if err == nil || !errors.Is(err, natsjs.ErrUnavailable) || attempt == publishAttempts {
			return ack, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ack, err
		case <-t.C:
		}
		wait *= 2
	}
}

// publishAttempts bounds the publishes of one line (100+200+400 ms apart).
const publishAttempts = 4

func msgID(room string, seq uint64) string {
	return store.Fold(room) + "/" + strconv.FormatUint(seq, 10)
}

// nextSeq returns the room's next number (want 0), or want itself after
// raising the counter to it.
func (s *Store) nextSeq(ctx context.Context, room string, want uint64) (uint64, error) {
	return s.advanceCounter(ctx, "seq/"+room, func(cur uint64) (uint64, bool) {
		switch {
		case want == 0:
			return cur + 1, false
		case want <= cur:
			return want, true // an explicit number below the counter: the stream refuses a taken one
		}
		return want, false
	})
}

// advanceCounter moves the counter key with compare-and-set, trying again
// when another node moved it first. next gets the current value (0 when
// there is none) and returns the new one, or stop to leave the counter as
// it is and return that value instead.
func (s *Store) advanceCounter(ctx context.Context, key string, next func(cur uint64) (val uint64, stop bool)) (uint64, error) {
	for {
		e, err := s.counters.Get(ctx, key)
		var cur, rev uint64
		switch {
		case err == nil:
			cur, _ = strconv.ParseUint(string(e.Value), 10, 64)
			rev = e.Revision
		case errors.Is(err, natsjs.ErrNotFound):
		default:
			return 0, err
		}
		val, stop := next(cur)
		if stop {
			return val, nil
		}
		b := []byte(strconv.FormatUint(val, 10))
		if rev == 0 {
			_, err = s.counters.Create(ctx, key, b)
		} else {
			_, err = s.counters.Update(ctx, key, b, rev)
		}
		if errors.Is(err, natsjs.ErrExists) || errors.Is(err, natsjs.ErrRevisionMismatch) {
			continue // another node moved it meanwhile
		}
		if err != nil {
			return 0, err
		}
		return val, nil
	}
}

// LastSeqs returns every room's counter.
func (s *Store) LastSeqs(ctx context.Context) (map[string]uint64, error) {
	entries, err := snapshot(ctx, s.counters)
	if err != nil {
		return nil, fmt.Errorf("last seqs: %w", err)
	}
	out := map[string]uint64{}
	for key, e := range entries {
		if room, ok := cutPrefix(key, "seq/"); ok {
			out[room], _ = strconv.ParseUint(string(e.Value), 10, 64)
		}
	}
	return out, nil
}

// RoomSeq returns the room's counter.
func (s *Store) RoomSeq(ctx context.Context, room string) (uint64, error) {
	e, err := s.counters.Get(ctx, "seq/"+room)
	if errors.Is(err, natsjs.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("room seq %s: %w", room, err)
	}
	n, _ := strconv.ParseUint(string(e.Value), 10, 64)
	return n, nil
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}
