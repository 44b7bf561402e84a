package chat

import (
	"context"
	"errors"
	"testing"
	"time"
)

// waitDone waits (generously: the machine may be loaded) for ctx to end.
func waitDone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the context did not end")
	}
}

// TestStoreCtxEndsLikeWithTimeout: the hub's store context ends at its
// deadline or when cancelled, whether Done was asked for before or after.
func TestStoreCtxEndsLikeWithTimeout(t *testing.T) {
	ctx, cancel := newStoreCtx(time.Hour)
	if err := ctx.Err(); err != nil {
		t.Fatalf("a fresh context: %v", err)
	}
	if d, ok := ctx.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Fatalf("deadline %v %v, want about an hour from now", d, ok)
	}
	child, stopChild := context.WithCancel(ctx)
	defer stopChild()
	select {
	case <-ctx.Done():
		t.Fatal("Done is closed before the deadline")
	default:
	}
	cancel()
	waitDone(t, ctx)
	waitDone(t, child)
	if !errors.Is(ctx.Err(), context.Canceled) || !errors.Is(child.Err(), context.Canceled) {
		t.Fatalf("after cancel: %v, child %v; want Canceled", ctx.Err(), child.Err())
	}

	ctx, cancel = newStoreCtx(time.Hour)
	cancel() // before anyone asked for Done
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("cancelled: %v", ctx.Err())
	}
	waitDone(t, ctx)

	ctx, cancel = newStoreCtx(-time.Second) // past its deadline
	defer cancel()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("past the deadline: %v", ctx.Err())
	}
	waitDone(t, ctx)
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("past the deadline, Done asked: %v", ctx.Err())
	}
}
