package chat

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
)

// mentionCounter counts the catch-up queries that bound /unread's cost.
type mentionCounter struct {
	store.Store
	scans atomic.Int64
}

func (c *mentionCounter) MentionsSince(ctx context.Context, room string, after uint64, word, notFromKey string, limit int) ([]store.Message, error) {
	c.scans.Add(1)
	return c.Store.MentionsSince(ctx, room, after, word, notFromKey, limit)
}

// TestLoginSummaryIsCappedPerKey: /unread answers a key once every 5 s
// because its queries are costly (up to 20 rooms, each a count of 10,000
// lines and a scan of 5,000 for mentions, ~70 ms of the shared read pool);
// the summary shown at login is the same work, so a key that opens and
// closes sessions in a loop (4 per connection, 10 connections) must not
// get it at will: a key has a small allowance of login summaries.
func TestLoginSummaryIsCappedPerKey(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "chat.db"), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counter := &mentionCounter{Store: st}
	now := time.Unix(1_000_000, 0)
	h := quietHub(Config{Store: counter, Now: func() time.Time { return now }})
	defer h.Close()
	ctx := context.Background()
	for i := range 5 {
		st.Append(store.Message{Room: "#lobby", Seq: uint64(i + 1), Time: now, Kind: store.KindMsg, From: "bob", FromKey: "SHA256:bob", Text: "hello alice"}, func(uint64, error) {})
	}
	if err := st.SetReadMarkers(ctx, []store.MarkerUpdate{{Key: "SHA256:alice", Room: "#lobby", Seq: 1, Updated: now}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if n, _ := st.CountSince(ctx, "#lobby", 1, 100); n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("lines not stored")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range 30 {
		m, _ := join(t, h, "alice")
		drainText(m)
		h.Leave(m, "test")
	}
	if n := counter.scans.Load(); n > historyBurst {
		t.Fatalf("30 logins of one key within a second scanned for mentions %d times; the history budget is %d", n, historyBurst)
	}
}
