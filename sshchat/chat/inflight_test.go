package chat

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// silentStore takes lines and does not answer: their commit callbacks are
// kept, not called, until answer (a store whose disk hung). Once answered
// it answers every line at once.
type silentStore struct {
	nopStore
	answering atomic.Bool
	mu        sync.Mutex
	held      []func(uint64, error)
}

func (s *silentStore) Append(m store.Message, committed func(uint64, error)) {
	if s.answering.Load() {
		s.nopStore.Append(m, committed)
		return
	}
	s.mu.Lock()
	s.held = append(s.held, committed)
	s.mu.Unlock()
}

// answer fails every line held so far and answers from now on.
func (s *silentStore) answer(err error) {
	s.answering.Store(true)
	s.mu.Lock()
	held := s.held
	s.held = nil
	s.mu.Unlock()
	for _, committed := range held {
		committed(0, err)
	}
}

// TestCommandsWhileTheStoreHangsLeaveNoWaiters: a guest who says a line
// the store never answers and then types 10,000 commands waits once for
// their line (ownLinesWait), is told once that the store is not answering,
// and gets every answer; no goroutine is left per command (each used to
// leave one blocked until the store answered).
func TestCommandsWhileTheStoreHangsLeaveNoWaiters(t *testing.T) {
	st := &silentStore{nopStore: newNopStore()}
	h := quietHub(Config{Store: st})
	defer h.Close()
	guest, err := h.Join(Identity{User: "guest", Addr: "192.0.2.7:40000"}, &fakePeer{})
	if err != nil {
		t.Fatal(err)
	}
	h.Handle(guest, "hello") // never stored, never answered
	drainText(guest)
	before := runtime.NumGoroutine()

	const commands = 10_000
	var screen strings.Builder
	deadline := time.Now().Add(ownLinesWait + 60*time.Second)
	for i := range commands {
		h.Handle(guest, "/bell")
		if i%100 == 0 {
			screen.WriteString(drainText(guest))
		}
		if n := runtime.NumGoroutine(); n > before+20 {
			t.Fatalf("%d goroutines after %d commands to a hung store, %d before", n, i+1, before)
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d commands answered in %v: each waits for the stuck line again", i+1, commands, ownLinesWait+60*time.Second)
		}
	}
	screen.WriteString(drainText(guest))
	if n := strings.Count(screen.String(), "Bell: "); n != commands {
		t.Errorf("%d answers to %d commands", n, commands)
	}
	if n := strings.Count(screen.String(), storeNotAnswering); n != 1 {
		t.Errorf("told %d times that the store is not answering, want once", n)
	}
	waitFor(t, "goroutines back to where they were", func() bool { return runtime.NumGoroutine() <= before+5 })

	// The store answers again: the stuck line is refused, and the next
	// ones wait for their lines as before, without the notice.
	st.answer(errors.New("disk gone"))
	waitForText(t, guest, notStored)
	h.Handle(guest, "back again")
	h.Handle(guest, "/bell")
	got := drainText(guest)
	said, answered := strings.Index(got, guest.Nick()+": back again"), strings.Index(got, "Bell: ")
	if said < 0 || answered < said || strings.Contains(got, storeNotAnswering) {
		t.Errorf("after the store recovered the guest saw %q, want the line, then the answer", got)
	}
}
