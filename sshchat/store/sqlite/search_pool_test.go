package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/storetest"
)

// TestSearchesLeaveTheReadPoolAlone: while every search connection is held
// by a search (and more searches queue), the read pool still serves
// Recent and nick look-ups as many times as it has connections and more,
// and a queued search gives up with ErrSearchBusy when its context ends.
func TestSearchesLeaveTheReadPoolAlone(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{ReadConns: 2, SearchConns: 1})
	storetest.AppendWait(t, s, storetest.Msg("#a", 1, "hello world"))

	entered := make(chan struct{}, 8)
	release := make(chan struct{})
	s.SetSearchHook(func(ctx context.Context) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
	})
	held := make(chan error, 1)
	go func() {
		_, err := s.Search(context.Background(), "#a", "hello", 10)
		held <- err
	}()
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the first search never got its connection")
	}

	// The one search connection is taken: a second search waits for it
	// and gives up when its context ends.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	_, err := s.Search(ctx, "#a", "hello", 10)
	cancel()
	if !errors.Is(err, store.ErrSearchBusy) {
		t.Errorf("a search while the slot is held: %v, want ErrSearchBusy", err)
	}

	// Reads meanwhile: more of them than the read pool has connections,
	// each with the test's own (long) deadline.
	for i := range 5 {
		got, err := s.Recent(t.Context(), "#a", 0, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("Recent #%d while a search is held: %v, %v", i, got, err)
		}
		if _, err := s.OwnedNick(t.Context(), "SHA256:nobody"); err != nil {
			t.Fatalf("OwnedNick #%d while a search is held: %v", i, err)
		}
	}
	select {
	case err := <-held:
		t.Fatalf("the held search ended before its release: %v", err)
	default:
	}
	close(release)
	if err := <-held; err != nil {
		t.Errorf("the held search, released: %v", err)
	}
}
