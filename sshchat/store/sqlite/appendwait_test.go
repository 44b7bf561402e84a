package sqlite

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/storetest"
)

// A writer stuck on the disk must not stop Append's callers for good: with
// the queue full, Append gives up after QueueWait with store.ErrBusy.
func TestAppendToAStuckWriterGivesUp(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{QueueSize: 1, QueueWait: 50 * time.Millisecond})
	unstick := make(chan struct{})
	stuck := make(chan struct{})
	// The first callback holds the writer goroutine, as a hung disk would.
	s.Append(storetest.Msg("#a", 1, "one"), func(uint64, error) { close(stuck); <-unstick })
	<-stuck
	s.Append(storetest.Msg("#a", 2, "two"), nil) // fills the queue
	errs := make(chan error, 1)
	start := time.Now()
	s.Append(storetest.Msg("#a", 3, "three"), func(_ uint64, err error) { errs <- err })
	if err := <-errs; !errors.Is(err, store.ErrBusy) {
		t.Fatalf("Append to a full queue: %v, want ErrBusy", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Append waited %v", took)
	}
	close(unstick)
}
