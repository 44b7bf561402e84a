package chat

import "sync"

// Outbox is one member's queue of events waiting to be written to their
// screen. It is bounded in bytes, not only in events, so a member who stops
// reading costs the server a fixed amount of memory before being cut off.
// Push never blocks: senders never wait on a recipient. The member's own
// writer goroutine waits on Ready and takes everything queued with Drain,
// which lets it coalesce many lines into one write.
type Outbox struct {
	mu       sync.Mutex // lock tier 5 (see doc.go), a leaf: nothing is taken under it
	queue    []*Event
	bytes    int
	limit    int
	closed   bool
	overflow bool
	ready    chan struct{}
}

// keptQueue is the most queue capacity an outbox keeps once drained: a
// burst (a join's catch-up, a paste) grew it to hundreds of entries, which
// every idle member would otherwise hold for the rest of the session.
const keptQueue = 16

// NewOutbox returns an outbox that holds at most limitBytes of events.
func NewOutbox(limitBytes int) *Outbox {
	return &Outbox{limit: limitBytes, ready: make(chan struct{}, 1)}
}

// Push queues ev. It reports false, and queues nothing, when the event would
// take the outbox past its limit; an outbox that overflowed once stays
// refused (its member is about to be disconnected, and a gap in their stream
// would be worse than the cut). A closed outbox drops events silently and
// reports true: its member has left.
func (o *Outbox) Push(ev *Event) bool { return o.push(ev, true) }

// push is Push; with wake false it queues ev without waking the writer
// (the room's coalescing timer will, see coalesce.go), unless the queue
// has grown to coalesceBytes.
func (o *Outbox) push(ev *Event, wake bool) bool {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return true
	}
	if o.overflow {
		o.mu.Unlock()
		return false
	}
	n := ev.size()
	if o.bytes+n > o.limit {
		o.overflow = true
		o.mu.Unlock()
		return false
	}
	o.queue = append(o.queue, ev)
	o.bytes += n
	wake = wake || o.bytes >= coalesceBytes
	o.mu.Unlock()
	if !wake {
		return true
	}
	select {
	case o.ready <- struct{}{}:
	default:
	}
	return true
}

// wake signals the writer if events are waiting.
func (o *Outbox) wake() {
	o.mu.Lock()
	waiting := len(o.queue) > 0
	o.mu.Unlock()
	if waiting {
		select {
		case o.ready <- struct{}{}:
		default:
		}
	}
}

// Ready is signalled after Push when events may be waiting.
func (o *Outbox) Ready() <-chan struct{} { return o.ready }

// Drain appends every queued event to dst, empties the queue and returns
// the extended slice.
func (o *Outbox) Drain(dst []*Event) []*Event {
	o.mu.Lock()
	dst = append(dst, o.queue...)
	clear(o.queue)
	o.queue = o.queue[:0]
	if cap(o.queue) > keptQueue {
		o.queue = nil // a burst's queue is not kept by an idle member
	}
	o.bytes = 0
	o.mu.Unlock()
	return dst
}

// Close refuses further events; events already queued can still be drained.
func (o *Outbox) Close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}

// Len reports the number of queued events.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.queue)
}

// free reports how many bytes the outbox can still take.
func (o *Outbox) free() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return max(o.limit-o.bytes, 0)
}
