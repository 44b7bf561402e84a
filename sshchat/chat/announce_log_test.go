package chat

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// blockingLog blocks the first record logged at Error until release
// closes, like a log sink that stalled for a moment.
type blockingLog struct {
	blocked chan struct{} // receives the blocked record's arrival
	release chan struct{}
	first   atomic.Bool
}

func (b *blockingLog) Enabled(context.Context, slog.Level) bool { return true }
func (b *blockingLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		if b.first.CompareAndSwap(false, true) {
			b.blocked <- struct{}{}
			<-b.release
		}
	}
	return nil
}
func (b *blockingLog) WithAttrs([]slog.Attr) slog.Handler { return b }
func (b *blockingLog) WithGroup(string) slog.Handler      { return b }

// TestAnnouncerLogsNoLineUnderItsLock: no log write under a lock. With the
// store not taking lines (a full backlog), a join announcement is refused
// and logged; that log must not be written while the room's announcer lock
// is held, or a leave (the watchdog's, a kick's: they must never wait)
// waits on the log sink.
func TestAnnouncerLogsNoLineUnderItsLock(t *testing.T) {
	bl := &blockingLog{blocked: make(chan struct{}, 1), release: make(chan struct{})}
	h, err := NewHub(Config{Logger: slog.New(bl)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	defer close(bl.release)
	r := h.lobby
	r.seqMu.Lock()
	r.pumping = true // a pump is stuck in the store
	for range maxBacklog {
		r.backlog = append(r.backlog, pendingLine{ev: &Event{}})
	}
	r.seqMu.Unlock()

	go r.announcer.joined("alice") // refused: backlog full; logged
	select {
	case <-bl.blocked:
	case <-time.After(5 * time.Second):
		t.Fatal("the refused announcement was not logged")
	}
	left := make(chan struct{})
	go func() {
		r.announcer.left("bob")
		close(left)
	}()
	select {
	case <-left:
	case <-time.After(2 * time.Second):
		t.Fatal("a leave waited on a log write made under the announcer's lock")
	}
}
