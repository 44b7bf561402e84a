package chat

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// A room's lines reach the store through its backlog, so that publishing
// never waits on the store while holding a lock, and a store that stops
// answering (a full disk queue, a hung file system) cannot stop the
// watchdog, shutdown or anyone's leave: those only queue, and the room's
// pump goroutine hands the backlog over, outside every lock.

// maxBacklog bounds the lines a room holds stamped but not yet handed to
// the store. The backlog only grows while the store does not take lines
// (a store that blocks); beyond it, lines are refused at once, unshown.
const maxBacklog = 256

// maxPublishWait bounds how long a publisher that may wait waits for its
// line to be handed to the store (normally microseconds). A store that
// stops answering costs each such publisher this once; the lines behind it
// wait in the backlog, and past maxBacklog are refused at once.
const maxPublishWait = 5 * time.Second

// errBacklogFull is why a line is refused while the store is not taking
// lines.
var errBacklogFull = errors.New("the room's lines are not being stored: backlog full")

// errNotStored is a one-shot post's answer when its line could not be
// stored (and so was shown to nobody).
var errNotStored = errors.New("the server could not store it")

// notStored is what a sender sees when their line could not be stored (and
// so was shown to nobody).
const notStored = "Not sent: the server could not store it."

// pendingLine is a stamped line waiting for the store.
type pendingLine struct {
	ev     *Event
	done   func(error)   // may be nil
	handed chan struct{} // closed once the line is handed to the store; may be nil
}

// How a publisher waits for its line to be handed to the store.
type publishWait uint8

const (
	// queueOnly only queues: for leaves, the watchdog, timers and
	// anything that must never wait on the store.
	queueOnly publishWait = iota
	// waitHandedOver waits until the line is handed to the store, at
	// most maxPublishWait: for session handlers (joins, one-shot posts)
	// and anything else that must end even if the store never answers.
	waitHandedOver
	// pumpInline hands the room's backlog to the store in the caller's
	// goroutine when no pump is running (no goroutine hop: the hot path of
	// a member's line). Only for a member's own reader, which nothing
	// waits for: with a store that never answers, it is the one that
	// stays stuck.
	pumpInline
)

// maxInlineRounds bounds how many rounds of other people's lines an inline
// pumper hands over before passing the work to a goroutine: a busy room
// must not keep one reader away from its own input.
const maxInlineRounds = 4

// publish stamps ev with the time and sends it to the store, which gives
// it the room's next sequence number; members receive it once it is committed, and nobody if
// storing fails. inflight, if not nil, counts the line until the store has
// answered. It waits (a bounded time) until the line is handed to the
// store, so the caller must not hold a lock.
func (r *Room) publish(ev *Event, inflight *inflightLines) {
	if inflight != nil {
		inflight.Add(1)
	}
	r.publishThen(ev, waitHandedOver, func(error) {
		if inflight != nil {
			inflight.Done()
		}
	})
}

// publishThen stamps ev and queues it for the store. done, if not nil, is
// called exactly once: with nil after ev was stored and delivered, or with
// the reason it was not stored (then nobody saw it). It runs on the store's
// writer goroutine or a pumper's, and must not block. With a healthy store,
// a caller that waits finds its line in members' outboxes, or on its way
// there in order, when publishThen returns.
func (r *Room) publishThen(ev *Event, wait publishWait, done func(error)) {
	var handed chan struct{}
	if wait == waitHandedOver {
		handed = make(chan struct{})
	}
	// An inline pumper that finds a pump running waits for it like
	// waitHandedOver (the channel is made only then).
	start, queued, handed, reroute := r.enqueueLine(pendingLine{ev: ev, done: done, handed: handed}, wait == pumpInline)
	switch {
	case reroute != nil:
		reroute(ev, wait, done)
		return
	case !queued:
		r.refused(done)
		return
	case start && wait == pumpInline:
		r.pump(maxInlineRounds)
		return
	case start:
		r.startPump()
	}
	if queued && handed != nil {
		waitHanded(handed)
	}
}

// waitHanded waits until handed closes, at most maxPublishWait.
func waitHanded(handed <-chan struct{}) {
	select {
	case <-handed:
		return
	default:
	}
	timer := time.NewTimer(maxPublishWait)
	defer timer.Stop()
	select {
	case <-handed:
	case <-timer.C:
	}
}

// enqueueLine stamps p.ev and adds p to the backlog without waiting (it may
// be called under a lock of a lower tier); queued is false when the
// backlog is full (p.handed then never closes, and the caller must call
// refused once it holds no lock: it logs).
// When it reports start, the caller must call startPump once it holds no
// lock: nobody else will. When the room has left memory it queues nothing
// and returns the room's reroute instead, for the caller to call once it
// holds no lock (the room's current object takes the line).
//
// With handedIfBusy, a line queued behind a running pump gets a handed
// channel (returned) if it has none.
func (r *Room) enqueueLine(p pendingLine, handedIfBusy bool) (start, queued bool, handed chan struct{}, reroute func(*Event, publishWait, func(error))) {
	r.seqMu.Lock()
	if r.gone {
		reroute = r.reroute
		r.seqMu.Unlock()
		if reroute == nil {
			reroute = dropLine
		}
		return false, false, nil, reroute
	}
	if len(r.backlog) >= maxBacklog {
		r.seqMu.Unlock()
		return false, false, nil, nil
	}
	// The store gives the sequence number, in the order of the backlog.
	r.pending.Add(1)
	p.ev.Room = r.name
	p.ev.Time = r.now()
	p.ev.accepted = time.Now() // monotonic, whatever r.now says
	start = !r.pumping
	if !start && handedIfBusy && p.handed == nil {
		p.handed = make(chan struct{})
	}
	r.backlog = append(r.backlog, p)
	r.pumping = true
	r.seqMu.Unlock()
	return start, true, p.handed, nil
}

// refused reports a line the full backlog turned away: logged, counted,
// and done (if not nil) told why. The caller holds no lock.
func (r *Room) refused(done func(error)) {
	r.log.Error("store line", "room", r.name, "err", errBacklogFull)
	r.metrics.notStored()
	if done != nil {
		done(errBacklogFull)
	}
}

// errRoomGone is why a line for a room that was removed is not stored.
var errRoomGone = errors.New("the room was removed")

// dropLine is the reroute of a room that left memory with nowhere to go.
func dropLine(_ *Event, _ publishWait, done func(error)) {
	if done != nil {
		done(errRoomGone)
	}
}

// startPump starts the goroutine that hands the backlog to the store. The
// room owns it: it ends when the backlog is empty.
func (r *Room) startPump() { go r.pump(0) }

// pump hands the backlog to the store in order until it is empty, then
// marks the room idle. With rounds > 0 it stops after that many rounds and
// passes what is left to a goroutine. Only one pump runs per room: whoever
// set pumping starts it.
func (r *Room) pump(rounds int) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("panic recovered", "where", "room pump", "room", r.name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r.seqMu.Lock()
			r.pumping = false
			r.seqMu.Unlock()
		}
	}()
	var batch []pendingLine
	for round := 1; ; round++ {
		r.seqMu.Lock()
		if len(r.backlog) == 0 {
			r.pumping = false
			r.seqMu.Unlock()
			return
		}
		if rounds > 0 && round > rounds {
			r.seqMu.Unlock()
			r.startPump() // still marked pumping: the goroutine takes over
			return
		}
		batch, r.backlog = r.backlog, batch[:0]
		r.seqMu.Unlock()
		for i, p := range batch {
			r.store(p)
			if p.handed != nil {
				close(p.handed)
			}
			batch[i] = pendingLine{}
		}
	}
}

// store hands one stamped line to the store and delivers it once it is
// durable; a line that could not be stored is shown to nobody.
func (r *Room) store(p pendingLine) {
	ev, done := p.ev, p.done
	r.history.Append(ev.message(), func(seq uint64, err error) {
		if err != nil {
			// Durability over availability: nobody sees a line that a
			// restart would not have.
			r.metrics.notStored()
			r.log.Error("store line", "room", r.name, "err", err)
		} else {
			ev.Seq = seq
			r.publishLine(ev)
		}
		r.pending.Add(-1)
		if done != nil {
			done(err)
		}
	})
}
