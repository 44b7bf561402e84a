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
			From: "alice", FromKey: fmt.Sprintf("SHA256:alice%d", i%4), To: "bob", ToKey: "SHA256:bob", Text: fmt.Sprintf("%02d %s", i, long)})
		if err != nil {
			t.Fatal(err)
		}
	}
	bob, peer := join(t, h, "bob")
	text := writeOut(h, bob)
	if peer.disconnected() {
		t.Fatal("the mailbox overflowed bob's outbox")
	}
	if !strings.Contains(text, "39 "+long) || !strings.Contains(text, "kept for your next login") {
		t.Fatalf("the newest messages were not shown with a note about the rest:\n%.400s", text)
	}
	kept, err := st.PeekOffline(context.Background(), "SHA256:bob")
	if err != nil {
		t.Fatal(err)
	}
	shown := strings.Count(text, long)
	if shown+len(kept) != 40 {
		t.Fatalf("%d shown + %d kept, want all 40", shown, len(kept))
	}
}

// writeOut is what a session's writer does: it takes everything queued for
// m, "writes" it (renders it as a plain screen would) and reports it
// written. It returns the text.
func writeOut(h *Hub, m *Member) string {
	var b strings.Builder
	events := m.Outbox().Drain(nil)
	for _, ev := range events {
		b.Write(ev.Bytes(StylePlain))
	}
	h.Written(m, events)
	return b.String()
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

// Messages kept while someone was away are deleted only once their session
// has written them: a session that dies at login, before writing, loses
// nothing.
func TestKeptMessagesSurviveASessionThatDiesAtLogin(t *testing.T) {
	h, st := sqliteHub(t, Config{})
	defer h.Close()
	ctx := context.Background()
	for i := range 3 {
		err := st.SaveOffline(ctx, store.Message{Time: time.Unix(int64(1000+i), 0), Kind: store.KindPM,
			From: "alice", FromKey: "SHA256:alice", To: "bob", ToKey: "SHA256:bob", Text: fmt.Sprintf("kept %d", i)})
		if err != nil {
			t.Fatal(err)
		}
	}
	bob, _ := join(t, h, "bob") // queued, never written: the connection dies
	h.Leave(bob, "connection lost")
	h.SessionEnded(bob)
	if kept, _ := st.PeekOffline(ctx, "SHA256:bob"); len(kept) != 3 {
		t.Fatalf("%d kept after a session died before writing them, want 3", len(kept))
	}
	bob, _ = join(t, h, "bob")
	text := writeOut(h, bob)
	for i := range 3 {
		if !strings.Contains(text, fmt.Sprintf("*alice* kept %d", i)) {
			t.Fatalf("message %d not shown at the next login:\n%s", i, text)
		}
	}
	if kept, _ := st.PeekOffline(ctx, "SHA256:bob"); len(kept) != 0 {
		t.Fatalf("%d still kept after they were written", len(kept))
	}
}

// A private message queued to someone whose session ends before writing it
// is kept for their next login: the sender was told it was sent.
func TestPrivateMessageNeverWrittenIsKept(t *testing.T) {
	h, st := sqliteHub(t, Config{})
	defer h.Close()
	alice, _ := join(t, h, "alice")
	bob, _ := join(t, h, "bob")
	h.Handle(alice, "/msg bob are you there")
	if got := writeOut(h, alice); !strings.Contains(got, "-> *bob* are you there") {
		t.Fatalf("alice saw %q", got)
	}
	h.Leave(bob, "connection lost") // before bob's writer wrote it
	h.SessionEnded(bob)
	kept, err := st.PeekOffline(context.Background(), "SHA256:bob")
	if err != nil || len(kept) != 1 || kept[0].Text != "are you there" || kept[0].FromKey != "SHA256:alice" {
		t.Fatalf("kept %+v (err %v), want the unwritten message", kept, err)
	}
	bob, _ = join(t, h, "bob")
	if text := writeOut(h, bob); !strings.Contains(text, "*alice* are you there") {
		t.Fatalf("not shown at the next login:\n%s", text)
	}

	// Written live: nothing is kept.
	h.Handle(alice, "/msg bob welcome back")
	writeOut(h, bob)
	h.Leave(bob, "quit")
	h.SessionEnded(bob)
	if kept, _ := st.PeekOffline(context.Background(), "SHA256:bob"); len(kept) != 0 {
		t.Fatalf("kept %+v after they were written", kept)
	}
}

// One sender cannot fill someone's mailbox: past their share they are told
// so, and others can still leave messages.
func TestMailboxFloodIsCappedPerSender(t *testing.T) {
	h, st := sqliteHub(t, Config{})
	defer h.Close()
	if _, err := st.ClaimNick(context.Background(), "bob", "SHA256:bob"); err != nil {
		t.Fatal(err)
	}
	junk, _ := join(t, h, "junk")
	for i := range store.MaxOfflinePerSender + 5 {
		h.Handle(junk, fmt.Sprintf("/msg bob junk %d", i))
	}
	text := drainText(junk)
	if n := strings.Count(text, "your message is kept"); n != store.MaxOfflinePerSender {
		t.Fatalf("%d kept from one sender, want %d", n, store.MaxOfflinePerSender)
	}
	if n := strings.Count(text, fmt.Sprintf("bob is offline and already has %d messages from you waiting; not kept.", store.MaxOfflinePerSender)); n != 5 {
		t.Fatalf("%d refusals, want 5:\n%s", n, text)
	}
	// Guests are counted by address: a second guest from the same
	// address shares the first one's share.
	g1, _ := h.Join(Identity{User: "g", Addr: "192.0.2.9:1111"}, &fakePeer{})
	g2, _ := h.Join(Identity{User: "g", Addr: "192.0.2.9:2222"}, &fakePeer{})
	for i := range store.MaxOfflinePerSender {
		h.Handle(g1, fmt.Sprintf("/msg bob guest %d", i))
	}
	h.Handle(g2, "/msg bob from the same address")
	if text := drainText(g2); !strings.Contains(text, "messages from you waiting; not kept.") {
		t.Fatalf("a second guest from the same address got %q", text)
	}
	friend, _ := join(t, h, "friend")
	h.Handle(friend, "/msg bob lunch?")
	if text := drainText(friend); !strings.Contains(text, "your message is kept") {
		t.Fatalf("a friend's message was refused: %q", text)
	}
}

// A guest's kept messages count per sender by address; one IPv6 /64 is one
// address, as for every other per-address cap, so that cycling through the
// addresses of a /64 does not multiply the per-sender allowance.
func TestMailboxSenderAddrIsIPv6Slash64(t *testing.T) {
	a := &Member{identity: Identity{Addr: "[2001:db8::1]:1000"}}
	b := &Member{identity: Identity{Addr: "[2001:db8::2]:2000"}}
	if senderAddr(a) != senderAddr(b) {
		t.Fatalf("one /64 counts as two senders: %q and %q", senderAddr(a), senderAddr(b))
	}
	if got := senderAddr(&Member{identity: Identity{Addr: "192.0.2.1:22"}}); got != "192.0.2.1" {
		t.Fatalf("IPv4 sender %q", got)
	}
}
