package chat

import (
	"context"
	"errors"
	"fmt"
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

func sqliteHub(t *testing.T, cfg Config) (*Hub, store.Store) {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "chat.db"), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if cfg.Store == nil {
		cfg.Store = st
	}
	return quietHub(cfg), st
}

func TestMailboxThatDoesNotFitIsKeptForLater(t *testing.T) {
	h, st := sqliteHub(t, Config{OutboxBytes: 24 << 10})
	defer h.Close()
	long := strings.Repeat("z", 900)
	for i := range 40 {
		err := st.SaveOffline(context.Background(), store.Message{Time: time.Unix(int64(1000+i), 0), Kind: store.KindPM,
			From: "alice", FromKey: "SHA256:alice", To: "bob", ToKey: "SHA256:bob", Text: fmt.Sprintf("%02d %s", i, long)})
		if err != nil {
			t.Fatal(err)
		}
	}
	bob, peer := join(t, h, "bob")
	text := drainText(bob)
	if peer.disconnected() {
		t.Fatal("the mailbox overflowed bob's outbox")
	}
	if !strings.Contains(text, "39 "+long) || !strings.Contains(text, "kept for your next login") {
		t.Fatalf("the newest messages were not shown with a note about the rest:\n%.400s", text)
	}
	kept, err := st.TakeOffline(context.Background(), "SHA256:bob")
	if err != nil {
		t.Fatal(err)
	}
	shown := strings.Count(text, long)
	if shown+len(kept) != 40 {
		t.Fatalf("%d shown + %d kept, want all 40", shown, len(kept))
	}
}

// flakyOwned fails OwnedNick once, like a store under load.
type flakyOwned struct {
	store.Store
	failed atomic.Bool
}

func (f *flakyOwned) OwnedNick(ctx context.Context, key string) (string, error) {
	if f.failed.CompareAndSwap(false, true) {
		return "", errors.New("database is locked")
	}
	return f.Store.OwnedNick(ctx, key)
}

func TestAFailedLookupDoesNotMoveNickOwnership(t *testing.T) {
	_, st := sqliteHub(t, Config{})
	if _, err := st.ClaimNick(context.Background(), "alice", "SHA256:a"); err != nil {
		t.Fatal(err)
	}
	h := quietHub(Config{Store: &flakyOwned{Store: st}})
	defer h.Close()
	if _, err := h.Join(Identity{User: "other", Fingerprint: "SHA256:a"}, &fakePeer{}); err != nil {
		t.Fatal(err)
	}
	if owned, _ := st.OwnedNick(context.Background(), "SHA256:a"); owned != "alice" {
		t.Fatalf("the key owns %q after a failed lookup, want alice", owned)
	}
}
