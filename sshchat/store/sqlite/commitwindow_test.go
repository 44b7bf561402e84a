package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store/storetest"
)

// TestCommitWindowGathersBurstIntoOneTransaction: a line into an idle store
// is committed at once (the window, an hour here, does not delay it); lines
// that follow within the window are committed together, in one
// transaction, as soon as the batch is full.
func TestCommitWindowGathersBurstIntoOneTransaction(t *testing.T) {
	const burst = 5
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{CommitWindow: time.Hour, MaxBatch: burst})
	done := make(chan error, 1+burst)
	appendLine := func(text string) {
		s.Append(storetest.Msg("#lobby", 0, text), func(_ uint64, err error) { done <- err })
	}
	wait := func(what string) {
		t.Helper()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: not committed within 20s", what)
		}
	}
	appendLine("first, into an idle store")
	wait("the first line")
	if got := s.batches.Load(); got != 1 {
		t.Fatalf("%d group commits after the first line, want 1", got)
	}
	for i := range burst {
		appendLine(fmt.Sprintf("burst %d", i))
	}
	for i := range burst {
		wait(fmt.Sprintf("burst line %d", i))
	}
	if got := s.batches.Load(); got != 2 {
		t.Fatalf("%d group commits for the first line and a burst of %d, want 2", got, burst)
	}
	if seq, err := s.RoomSeq(t.Context(), "#lobby"); err != nil || seq != 1+burst {
		t.Fatalf("room sequence %d (%v) after %d lines", seq, err, 1+burst)
	}
}
