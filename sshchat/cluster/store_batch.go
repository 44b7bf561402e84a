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

// The batched writer. One line at a time cost a counter Get + Update and
// one publish waiting for its ack per line (about 5,000 lines/s on one
// NATS server). The writer instead takes every line already queued (at
// most maxBatchLines or maxBatchBytes of text), and:
//
//  1. numbers them: each room's counter moves once per batch, by the
//     number of the room's lines in it, with one compare-and-set. The
//     writer remembers each room counter's last value and revision, so the
//     usual case is one Update and no Get; when another node moved the
//     counter meanwhile the Update fails, and the writer reads it and
//     tries again. Exactly one winner per number across nodes still holds:
//     a number is only used once the compare-and-set that took it won.
//  2. publishes the whole batch pipelined on the one connection (async
//     publishes keep their order), in Append order, each line with its id
//     "<room>/<seq>".
//  3. calls each line back once the stream acknowledged it and this
//     node's read model applied it (the waiters of store_readmodel.go), so
//     callbacks come in stream order, which is Append order.
//
// A partial failure (some acks fail, e.g. NATS went away mid-batch): the
// acknowledged prefix stands; the rest is published again with the same
// ids (a line stored by an attempt whose ack was lost is stored once),
// a few times within about a second. Lines still not acknowledged then
// fail (their callbacks get the error), and so does every later line of
// the batch, so a room never shows a line whose predecessor in Append
// order was refused. Numbers taken by failed lines are never used again
// (the counter has moved past them): a refused line leaves a gap in its
// room's numbers, as on one node, and no other line can take its id.
// A refused line is called back at once, so possibly before earlier lines
// of its room that still wait for the read model (as before batching);
// the chat only reports a refusal, it delivers nothing on it. A line that
// was refused may still have been stored (its ack was lost): then it is
// in history and shown, in its place; nothing is shown that is not
// stored.
//
// A line with an explicit number (imports, tests) goes the old way, alone
// (write), after the lines queued before it, so Append order holds.

// Bounds of one batch: enough to reach the stream's pipelined rate, small
// enough that a batch is acknowledged well within a request timeout.
const (
	maxBatchLines = 256
	maxBatchBytes = 256 << 10
	// maxCachedCounters bounds the remembered room counters; past it the
	// cache starts again empty (a Get per room once more).
	maxCachedCounters = 4096
)

// counterState is the last value and revision of a room's counter that
// this node wrote or read.
type counterState struct {
	val, rev uint64
}

// takeBatch appends to batch what is queued behind first, without
// waiting, within the batch bounds.
func (s *Store) takeBatch(batch []appendReq, first appendReq) []appendReq {
	batch = append(batch[:0], first)
	size := len(first.m.Text)
	for len(batch) < maxBatchLines && size < maxBatchBytes {
		select {
		case req, ok := <-s.queue:
			if !ok {
				return batch // closed: the caller's range ends next
			}
			batch = append(batch, req)
			size += len(req.m.Text)
		default:
			return batch
		}
	}
	return batch
}

// writeBatch writes reqs in Append order: runs of ordinary room lines as
// one pipelined batch, the rest one by one in between.
func (s *Store) writeBatch(reqs []appendReq) {
	run := make([]appendReq, 0, len(reqs))
	for _, req := range reqs {
		m := req.m
		switch {
		case m.Time.IsZero():
			req.cb(0, fmt.Errorf("append %s: message without time", m.Room))
		case m.Room == "":
			s.local.Append(m, func(_ uint64, err error) { req.cb(0, err) })
		case m.Seq != 0:
			s.writeRun(run)
			run = run[:0]
			delete(s.counterCache, "seq/"+m.Room) // write moves it without the cache
			s.write(req)
		default:
			run = append(run, req)
		}
	}
	s.writeRun(run)
}

// batchLine is one line of a run on its way to the stream.
type batchLine struct {
	req    appendReq
	seq    uint64
	id     string
	w      *waiter
	failed bool
}

// writeRun numbers, publishes and registers for callback the room lines
// of run (each without an explicit number).
func (s *Store) writeRun(run []appendReq) {
	if len(run) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*appliedWait)
	defer cancel()
	// Number each room's lines with one counter move.
	count := map[string]uint64{}
	for _, req := range run {
		count[req.m.Room]++
	}
	first := make(map[string]uint64, len(count))
	numberErr := map[string]error{}
	for room, n := range count {
		seq, err := s.reserveSeqs(ctx, room, n)
		if err != nil {
			numberErr[room] = fmt.Errorf("append %s: number the line: %w", room, err)
			continue
		}
		first[room] = seq
	}
	lines := make([]batchLine, 0, len(run))
	msgs := make([]natsjs.Message, 0, len(run))
	for _, req := range run {
		m := req.m
		if err := numberErr[m.Room]; err != nil {
			req.cb(0, err)
			continue
		}
		m.Seq = first[m.Room]
		first[m.Room]++
		subject, err := s.subj.Room(store.Fold(m.Room))
		if err != nil {
			req.cb(0, fmt.Errorf("append %s: %w", m.Room, err))
			continue
		}
		payload, err := json.Marshal(m)
		if err != nil {
			req.cb(0, fmt.Errorf("append %s: encode: %w", m.Room, err))
			continue
		}
		id := msgID(m.Room, m.Seq)
		lines = append(lines, batchLine{req: req, seq: m.Seq, id: id, w: s.addWaiter(id, m.Seq, req.cb)})
		msgs = append(msgs, natsjs.Message{Subject: subject, Payload: payload, MsgID: id})
	}
	if len(msgs) == 0 {
		return
	}
	acked, dups, err := s.publishBatch(ctx, msgs)
	for _, i := range dups {
		// Stored before this batch under the same id: another line holds
		// the number (only an explicit number can do that).
		s.failLine(&lines[i], fmt.Errorf("append %s seq %d: %w", lines[i].req.m.Room, lines[i].seq, errSeqStored))
	}
	if err != nil {
		for i := acked; i < len(lines); i++ {
			s.failLine(&lines[i], fmt.Errorf("append %s seq %d: %w", lines[i].req.m.Room, lines[i].seq, err))
		}
	}
}

// failLine calls l back with err unless the read model already did.
func (s *Store) failLine(l *batchLine, err error) {
	if !l.failed && s.removeWaiter(l.id, l.w) {
		l.failed = true
		l.req.cb(0, err)
	}
}

// publishBatch publishes msgs pipelined and returns how many of them, from
// the first, were acknowledged, and which of those the stream had stored
// before this batch (duplicates on the first attempt). It retries the
// unacknowledged rest with the same ids while NATS is unavailable, a few
// times within about a second (as publish does for one line).
func (s *Store) publishBatch(ctx context.Context, msgs []natsjs.Message) (acked int, dups []int, err error) {
	wait := defaultRetryWait
	for attempt := 1; ; attempt++ {
		var acks []natsjs.Ack
		acks, err = s.stream.PublishBatch(ctx, msgs[acked:])
		for i, a := range acks {
			// On a retry a duplicate is this very line, stored by an
			// earlier attempt whose ack was lost.
			if a.Duplicate && attempt == 1 {
				dups = append(dups, acked+i)
			}
		}
		acked += len(acks)
		if err == nil || !errors.Is(err, natsjs.ErrUnavailable) || attempt == publishAttempts {
			return acked, dups, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return acked, dups, err
		case <-t.C:
		}
		wait *= 2
	}
}

// reserveSeqs moves the room's counter up by n with one compare-and-set
// and returns the first of the n numbers taken. Only the writer goroutine
// calls it (the cache has no lock).
func (s *Store) reserveSeqs(ctx context.Context, room string, n uint64) (uint64, error) {
	key := "seq/" + room
	c, cached := s.counterCache[key]
	for {
		if !cached {
			e, err := s.counters.Get(ctx, key)
			switch {
			case err == nil:
				c.val, _ = strconv.ParseUint(string(e.Value), 10, 64)
				c.rev = e.Revision
			case errors.Is(err, natsjs.ErrNotFound):
				c = counterState{}
			default:
				return 0, err
			}
		}
		val := []byte(strconv.FormatUint(c.val+n, 10))
		var rev uint64
		var err error
		if c.rev == 0 {
			rev, err = s.counters.Create(ctx, key, val)
		} else {
			rev, err = s.counters.Update(ctx, key, val, c.rev)
		}
		if errors.Is(err, natsjs.ErrExists) || errors.Is(err, natsjs.ErrRevisionMismatch) {
			cached = false // another node moved it: read it again
			continue
		}
		if err != nil {
			delete(s.counterCache, key)
			return 0, err
		}
		if len(s.counterCache) >= maxCachedCounters {
			clear(s.counterCache)
		}
		s.counterCache[key] = counterState{val: c.val + n, rev: rev}
		return c.val + 1, nil
	}
}
