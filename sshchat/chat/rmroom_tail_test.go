package chat

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
)

// slowRoomRead holds one read of a room's metadata, after the read, until
// release closes: a load of the room that read the store just before an
// operator deleted the room.
type slowRoomRead struct {
	store.Store
	name    string
	hold    atomic.Bool
	reached chan struct{}
	release chan struct{}
}

func (s *slowRoomRead) Room(ctx context.Context, name string) (store.RoomInfo, bool, error) {
	info, ok, err := s.Store.Room(ctx, name)
	if FoldRoom(name) == FoldRoom(s.name) && s.hold.CompareAndSwap(true, false) {
		close(s.reached)
		<-s.release
	}
	return info, ok, err
}

// tailer is the identity of a one-shot tail in these tests.
var tailer = Identity{User: "bot", Fingerprint: "SHA256:bot", Addr: "192.0.2.9:2000"}

// TestTailStartedDuringRmroomWatchesNoGhostRoom: a tail that starts while
// an operator removes its room (its load read the store before the room
// was deleted) must not bring the removed room back into memory and watch
// it forever: it fails (no room), or the removal ends it.
func TestTailStartedDuringRmroomWatchesNoGhostRoom(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "chat.db"), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	slow := &slowRoomRead{Store: st, name: "#doomed", reached: make(chan struct{}), release: make(chan struct{})}
	h := quietHub(Config{Store: slow})
	defer h.Close()
	op := operator(t, h, "192.0.2.1:1000")
	h.Handle(op, "/join #doomed")
	waitText(t, op, "You are now in #doomed")
	h.Handle(op, "/part")
	waitText(t, op, "You are now in #lobby")
	h.mu.Lock()
	doomed := h.rooms["#doomed"]
	h.mu.Unlock()
	// Nobody is in it: it leaves memory, as idle rooms do.
	waitFor(t, "#doomed to leave memory", func() bool { return h.unloadRoom(doomed, false) })

	slow.hold.Store(true)
	type watch struct {
		m   *Member
		err error
	}
	started := make(chan watch, 1)
	go func() {
		m, err := h.Watch(tailer, "#doomed", &fakePeer{})
		started <- watch{m, err}
	}()
	select {
	case <-slow.reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the tail never read the room from the store")
	}
	h.Handle(op, "/rmroom #doomed")
	waitText(t, op, "#doomed is removed")
	close(slow.release)

	var w watch
	select {
	case w = <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return")
	}
	if w.err == nil {
		select {
		case <-w.m.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a tail started during /rmroom still watches the removed room")
		}
	} else if !isNoRoom(w.err) {
		t.Fatalf("Watch failed with %v, want no room", w.err)
	}
	h.mu.Lock()
	ghost := h.rooms["#doomed"]
	h.mu.Unlock()
	if ghost != nil {
		t.Error("the removed room is back in memory")
	}
}

// TestRmroomEndsItsTailsWithTheReason: /rmroom ends every tail of the
// room, and the tail learns why (its command prints it and exits 1); no
// watcher is left registered.
func TestRmroomEndsItsTailsWithTheReason(t *testing.T) {
	h, _ := sqliteHub(t, Config{})
	defer h.Close()
	op := operator(t, h, "192.0.2.1:1000")
	h.Handle(op, "/join #doomed")
	waitText(t, op, "You are now in #doomed")
	var tails []*Member
	for range 3 {
		m, err := h.Watch(tailer, "#doomed", &fakePeer{})
		if err != nil {
			t.Fatal(err)
		}
		tails = append(tails, m)
	}
	h.Handle(op, "/rmroom #doomed")
	waitText(t, op, "#doomed is removed")
	for _, m := range tails {
		select {
		case <-m.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a tail of the removed room still runs")
		}
		if m.Removal() != RoomRemoved || !strings.Contains(m.LeaveReason(), "#doomed was removed") {
			t.Errorf("tail ended as %v with %q, want RoomRemoved and the reason", m.Removal(), m.LeaveReason())
		}
	}
	h.mu.Lock()
	left := len(h.watchers)
	h.mu.Unlock()
	if left != 0 {
		t.Errorf("%d watchers still registered", left)
	}
	if _, err := h.Watch(tailer, "#doomed", &fakePeer{}); !isNoRoom(err) {
		t.Errorf("a tail of the removed room started with %v, want no room", err)
	}
}
