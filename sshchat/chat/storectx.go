package chat

import (
	"context"
	"sync"
	"time"
)

// storeCtx is the context of one store call made on a member's behalf:
// it ends at its deadline or when cancelled, like context.WithTimeout, but
// makes its timer and Done channel only when someone asks for Done.
//
// Why: most store calls are point reads that only check Err before they
// start (store/sqlite's pointCtx); a keyed join makes about six of them.
// context.WithTimeout arms a timer and allocates a context, a timer and a
// channel for each, about 1.6 KiB of garbage per join, and a join's
// garbage leaves spans part-used between the idle sessions' long-lived
// objects (docs/ARCHITECTURE.md, "Memory per idle session"). A store that
// waits on Done (a NATS request, a write) gets a real deadline context.
type storeCtx struct {
	deadline time.Time

	mu       sync.Mutex // lock tier: leaf; nothing is taken or waited for under it
	inner    context.Context
	stop     context.CancelFunc
	canceled bool // cancelled before anyone asked for Done
}

// newStoreCtx returns a context that ends after d, and its cancel func.
func newStoreCtx(d time.Duration) (context.Context, context.CancelFunc) {
	c := &storeCtx{deadline: time.Now().Add(d)}
	return c, c.cancel
}

func (c *storeCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// Value has nothing of its own (like context.Background); once the inner
// context exists it answers for it, so that a child context (database/sql
// makes one per transaction) joins it directly instead of watching Done
// from a goroutine of its own.
func (c *storeCtx) Value(key any) any {
	c.mu.Lock()
	inner := c.inner
	c.mu.Unlock()
	if inner == nil {
		return nil
	}
	return inner.Value(key)
}

// Done makes the real deadline context on first use.
func (c *storeCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		c.inner, c.stop = context.WithDeadline(context.Background(), c.deadline)
		if c.canceled {
			c.stop()
		}
	}
	return c.inner.Done()
}

func (c *storeCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.inner != nil:
		return c.inner.Err() // consistent with the Done channel handed out
	case c.canceled:
		return context.Canceled
	case !time.Now().Before(c.deadline):
		return context.DeadlineExceeded
	}
	return nil
}

func (c *storeCtx) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.canceled = true
	if c.stop != nil {
		c.stop()
	}
}
