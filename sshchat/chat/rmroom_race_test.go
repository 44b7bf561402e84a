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

// slowMarkers holds ReadMarkers of one key until release closes: a join
// that is between choosing its room and entering it.
type slowMarkers struct {
	store.Store
	key     string
	hold    atomic.Bool
	reached chan struct{}
	release chan struct{}
}

func (s *slowMarkers) ReadMarkers(ctx context.Context, key string, limit int) ([]store.Marker, error) {
	if key == s.key && s.hold.CompareAndSwap(true, false) {
		close(s.reached)
		<-s.release
	}
	return s.Store.ReadMarkers(ctx, key, limit)
}

// TestRmroomDuringAJoinLeavesNobodyInIt: someone who was entering a room
// while an operator removed it must not end up in the removed room (their
// lines then go nowhere: "Not sent" until they /join elsewhere); they are
// moved to the default room like everyone who was in it.
func TestRmroomDuringAJoinLeavesNobodyInIt(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "chat.db"), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	slow := &slowMarkers{Store: st, key: "SHA256:alice", reached: make(chan struct{}), release: make(chan struct{})}
	h := quietHub(Config{Store: slow})
	defer h.Close()
	op := operator(t, h, "192.0.2.1:1000")
	h.Handle(op, "/join #doomed")
	waitText(t, op, "You are now in #doomed")
	h.Handle(op, "/part")
	waitText(t, op, "You are now in #lobby")
	alice, _ := join(t, h, "alice")
	drainText(alice)

	slow.hold.Store(true)
	joined := make(chan struct{})
	go func() {
		defer close(joined)
		h.Handle(alice, "/join #doomed")
	}()
	select {
	case <-slow.reached:
	case <-time.After(5 * time.Second):
		t.Fatal("the join never reached its read of markers")
	}
	h.Handle(op, "/rmroom #doomed")
	waitText(t, op, "#doomed is removed")
	close(slow.release)
	<-joined
	if r := alice.Room(); r == nil || r.Name() != "#lobby" {
		name := "(none)"
		if r != nil {
			name = r.Name()
		}
		h.Handle(alice, "hello")
		time.Sleep(100 * time.Millisecond)
		t.Fatalf("after /rmroom, a member who was joining is in %s; saying a line gives: %q", name, strings.TrimSpace(drainText(alice)))
	}
}
