package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// watchedCtx is a context with a deadline that counts how often someone
// asked for its Done channel: database/sql and the driver ask for it to
// start their per-query cancellation goroutines.
type watchedCtx struct {
	context.Context
	dones atomic.Int32
}

func (c *watchedCtx) Done() <-chan struct{} {
	c.dones.Add(1)
	return c.Context.Done()
}

// TestJoinPointReadsStartNoCancellationGoroutines: the reads a keyed join
// makes do not hand their context to database/sql and the driver, which
// would start two goroutines and a child context per query (most of a
// join's garbage, and about 3 KiB of RSS per idle session at 1,000).
func TestJoinPointReadsStartNoCancellationGoroutines(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{})
	const key = "SHA256:alice"
	if _, err := s.ClaimNick(context.Background(), "alice", key); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPref(context.Background(), key, "theme", "mono"); err != nil {
		t.Fatal(err)
	}
	parent, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx := &watchedCtx{Context: parent}

	reads := map[string]func() error{
		"OwnedNick": func() error { _, err := s.OwnedNick(ctx, key); return err },
		"NickOwner": func() error { _, err := s.NickOwner(ctx, "alice"); return err },
		"LookalikeOwner": func() error {
			_, _, err := s.LookalikeOwner(ctx, "aIice", "SHA256:bob")
			return err
		},
		"Prefs":       func() error { _, err := s.Prefs(ctx, key); return err },
		"ReadMarkers": func() error { _, err := s.ReadMarkers(ctx, key, 10); return err },
		"PeekOffline": func() error { _, err := s.PeekOffline(ctx, key); return err },
	}
	for name, read := range reads {
		ctx.dones.Store(0)
		if err := read(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := ctx.dones.Load(); n != 0 {
			t.Errorf("%s asked for the context's Done channel %d times: a cancellation goroutine per query", name, n)
		}
	}
	if p, err := s.Prefs(ctx, key); err != nil || p["theme"] != "mono" {
		t.Errorf("Prefs = %v, %v; want theme mono", p, err)
	}

	// A context already done still fails a point read before it starts.
	cancel()
	for name, read := range reads {
		if err := read(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want context.Canceled", name, err)
		}
	}
}
