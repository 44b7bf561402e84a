package chat

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

// A room's lines reach the store through its backlog, so that publishing
// never waits on the store while holding a lock, and a store that stops
// answering (a full disk queue, a hung file system) cannot stop the
// watchdog, shutdown or anyone's leave: those only queue, and whoever finds
// the room's pump idle hands the backlog over, outside every lock.

// maxBacklog bounds the lines a room holds stamped but not yet handed to
// the store. The backlog only grows while the store does not take lines
// (a store that blocks); beyond it, lines are refused at once, unshown.
const maxBacklog = 256

// maxInlineRounds bounds how many rounds of other people's lines a
// publisher that found the pump idle hands over before passing the work to
// a goroutine of its own: a busy room must not keep one reader away from
// its own input.
const maxInlineRounds = 4

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
	ev   *Event
	done func(error) // may be nil
}

// publish stamps ev with the room's next sequence number and time and sends
// it to the store; members receive it once it is committed, and nobody if
// storing fails. inflight, if not nil, counts the line until the store has
// answered. The caller may hand lines to the store itself (see
// publishThen), so it must not hold a lock.
func (r *Room) publish(ev *Event, inflight *sync.WaitGroup) {
	if inflight != nil {
		inflight.Add(1)
	}
	r.publishThen(ev, true, func(error) {
		if inflight != nil {
			inflight.Done()
		}
	})
}

// publishThen stamps ev and queues it for the store. done, if not nil, is
// called exactly once: with nil after ev was stored and delivered, or with
// the reason it was not stored (then nobody saw it). It runs on the store's
// writer goroutine or the caller's, and must not block.
//
// With mayWait the caller, if it finds the pump idle, hands the backlog to
// the store itself (this keeps lines of a healthy room in members'
// outboxes by the time publish returns). Callers that must never wait on
// the store (leaves, the watchdog, timers, anything under a lock) pass
// false: a goroutine does it.
func (r *Room) publishThen(ev *Event, mayWait bool, done func(error)) {
	if r.enqueue(ev, done) {
		r.startPump(mayWait)
	}
}

// enqueue stamps ev and adds it to the backlog without waiting (it may be
// called under a lock of a higher tier). When it reports start, the caller
// must call startPump once it holds no lock: nobody else will.
func (r *Room) enqueue(ev *Event, done func(error)) (start bool) {
	r.seqMu.Lock()
	if len(r.backlog) >= maxBacklog {
		r.seqMu.Unlock()
		r.log.Error("store line", "room", r.name, "err", errBacklogFull)
		if done != nil {
			done(errBacklogFull)
		}
		return false
	}
	// A sequence number is used once: a line that fails to be stored
	// leaves a gap, never a number a later line would reuse.
	r.seq++
	ev.Seq = r.seq
	ev.Room = r.name
	ev.Time = r.now()
	r.backlog = append(r.backlog, pendingLine{ev: ev, done: done})
	start = !r.pumping
	r.pumping = true
	r.seqMu.Unlock()
	return start
}

// startPump hands the backlog to the store: in the caller's goroutine when
// it may wait, else in a goroutine the room owns (it ends when the backlog
// is empty).
func (r *Room) startPump(mayWait bool) {
	if mayWait {
		r.pump(maxInlineRounds)
	} else {
		go r.pump(0)
	}
}

// pump hands the backlog to the store in order until it is empty, then
// marks the room idle. With rounds > 0 it stops after that many rounds and
// passes what is left to a goroutine (which pumps until done). Only one
// pump runs per room: whoever set pumping.
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
			go r.pump(0) // still marked pumping: the goroutine takes over
			return
		}
		batch, r.backlog = r.backlog, batch[:0]
		r.seqMu.Unlock()
		for i, p := range batch {
			r.store(p)
			batch[i] = pendingLine{}
		}
	}
}

// store hands one stamped line to the store and delivers it once it is
// durable; a line that could not be stored is shown to nobody.
func (r *Room) store(p pendingLine) {
	ev, done := p.ev, p.done
	r.history.Append(ev.message(), func(err error) {
		if err != nil {
			// Durability over availability: nobody sees a line that a
			// restart would not have, and whose sequence number nobody
			// must rely on.
			r.log.Error("store line", "room", r.name, "seq", ev.Seq, "err", err)
		} else {
			r.deliver(ev)
		}
		if done != nil {
			done(err)
		}
	})
}
