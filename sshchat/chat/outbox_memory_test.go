package chat

import "testing"

// TestBurstDoesNotPinOutboxMemory: a burst of events (a catch-up replay,
// a flood) grows the outbox's queue; once the writer drained it, the
// member keeps no more than keptQueue entries of it while idle.
func TestBurstDoesNotPinOutboxMemory(t *testing.T) {
	o := NewOutbox(1 << 20)
	for i := range 500 {
		if !o.Push(&Event{Kind: KindMessage, Text: "line", Seq: uint64(i + 1)}) {
			t.Fatalf("push %d refused", i)
		}
	}
	if got := len(o.Drain(nil)); got != 500 {
		t.Fatalf("drained %d, want 500", got)
	}
	if c := cap(o.queue); c > keptQueue {
		t.Errorf("an idle outbox keeps room for %d events, want at most %d", c, keptQueue)
	}
	// A small queue is kept, so that the common case allocates nothing.
	o.Push(&Event{Kind: KindMessage, Text: "one"})
	o.Drain(nil)
	c := cap(o.queue)
	o.Push(&Event{Kind: KindMessage, Text: "two"})
	if o.Drain(nil); cap(o.queue) != c || c == 0 {
		t.Errorf("a small queue was not kept: capacity %d then %d", c, cap(o.queue))
	}
}
