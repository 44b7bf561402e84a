package chat

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// blockingStore's Append blocks until release is closed, like a store whose
// writer hangs on the disk.
type blockingStore struct {
	nopStore
	release chan struct{}
	entered chan struct{} // signalled when an Append starts waiting
}

func (b *blockingStore) Append(m store.Message, committed func(uint64, error)) {
	select {
	case b.entered <- struct{}{}:
	default:
	}
	<-b.release
	b.nopStore.Append(m, committed)
}

// While the store takes no lines, a room holds at most maxBacklog of them
// and refuses the rest at once (unshown, the sender told); nothing that
// queues a line waits, and the sequence numbers of refused lines are not
// given again.
func TestRoomBacklogIsBoundedWhileTheStoreIsStuck(t *testing.T) {
	st := &blockingStore{nopStore: newNopStore(), release: make(chan struct{}), entered: make(chan struct{}, 1)}
	h := quietHub(Config{Store: st})
	defer h.Close()
	r := h.lobby
	r.publishThen(&Event{Kind: KindAnnounce, Text: "first"}, queueOnly, nil)
	<-st.entered // the pump is now stuck in Append

	var mu sync.Mutex
	refused := 0
	start := time.Now()
	for range maxBacklog + 50 {
		r.publishThen(&Event{Kind: KindAnnounce, Text: "more"}, queueOnly, func(err error) {
			if errors.Is(err, errBacklogFull) {
				mu.Lock()
				refused++
				mu.Unlock()
			}
		})
	}
	if took := time.Since(start); took > maxPublishWait {
		t.Fatalf("queueing %d lines to a stuck store took %v", maxBacklog+50, took)
	}
	mu.Lock()
	if refused != 50 {
		t.Fatalf("%d lines refused, want the 50 beyond the backlog of %d", refused, maxBacklog)
	}
	mu.Unlock()
	// The store gives the numbers: refused lines, which never reach it,
	// cannot take any. Queued are the first line and the full backlog.
	if queued := r.pending.Load(); queued != maxBacklog+1 {
		t.Fatalf("%d lines queued, want %d: refused lines must not be queued", queued, maxBacklog+1)
	}

	// A member saying something is told, once the backlog is full.
	m, _ := join(t, h, "alice") // its join announcement is refused too: it waits for nothing
	drainText(m)
	h.Handle(m, "hello")
	if got := drainText(m); got != "*** "+notStored+"\n" {
		t.Fatalf("alice saw %q, want the refusal", got)
	}

	close(st.release) // the store answers again: the backlog drains
	waitIdle(t, r)
	drainText(m)
	r.publishThen(&Event{Kind: KindMessage, From: "alice", Text: "again"}, waitHandedOver, nil)
	if got := drainText(m); got != "alice: again\n" {
		t.Fatalf("after the store recovered alice saw %q", got)
	}
}

// waitIdle waits until r's backlog has been handed to the store.
func waitIdle(t *testing.T, r *Room) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.seqMu.Lock()
		idle := !r.pumping && len(r.backlog) == 0
		r.seqMu.Unlock()
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: lines still waiting for the store after 10s", r.Name())
		}
		time.Sleep(time.Millisecond) // polling a condition, with a deadline
	}
}
