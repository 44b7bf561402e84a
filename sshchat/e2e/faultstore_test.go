package e2e

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/sshchat/sshchat/sshchat/store"
)

// errInjected is the failure a faultStore reports.
var errInjected = errors.New("disk I/O error (injected by the test)")

// faultStore wraps the server's store and, on demand, fails every Append
// (like a full or broken disk) or holds every Append until released (like
// a writer stuck on a hung file system). Everything else passes through.
type faultStore struct {
	store.Store
	fail atomic.Bool

	mu      sync.Mutex
	stuck   chan struct{} // non-nil while Appends are held; closed to release them
	held    sync.WaitGroup
	heldNow atomic.Int64

	// Hooks, run before the call is passed on (set with setHooks).
	beforePeek    func(toKey string)  // PeekOffline
	beforePrivate func(store.Message) // Append of a private message
}

// setHooks sets the hooks (nil: none).
func (f *faultStore) setHooks(beforePeek func(string), beforePrivate func(store.Message)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.beforePeek, f.beforePrivate = beforePeek, beforePrivate
}

func (f *faultStore) PeekOffline(ctx context.Context, toKey string) ([]store.Message, error) {
	f.mu.Lock()
	hook := f.beforePeek
	f.mu.Unlock()
	if hook != nil {
		hook(toKey)
	}
	return f.Store.PeekOffline(ctx, toKey)
}

// wrap is sshchat.Config.WrapStore: it puts f in front of the store a
// (re)started server opened.
func (f *faultStore) wrap(s store.Store) store.Store {
	f.Store = s
	return f
}

func (f *faultStore) Append(m store.Message, committed func(uint64, error)) {
	if f.fail.Load() {
		if committed != nil {
			committed(0, errInjected)
		}
		return
	}
	f.mu.Lock()
	stuck := f.stuck
	if stuck != nil {
		f.held.Add(1)
	}
	private := f.beforePrivate
	f.mu.Unlock()
	if private != nil && m.Room == "" {
		private(m)
	}
	if stuck != nil {
		f.heldNow.Add(1)
		<-stuck // blocks, as a store whose writer hangs would
		f.heldNow.Add(-1)
		f.held.Done()
	}
	f.Store.Append(m, committed)
}

// hold makes every later Append block until release.
func (f *faultStore) hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stuck == nil {
		f.stuck = make(chan struct{})
	}
}

// release lets every held Append through and waits until they have been
// passed on (so no test goroutine outlives the test).
func (f *faultStore) release() {
	f.mu.Lock()
	if f.stuck != nil {
		close(f.stuck)
		f.stuck = nil
	}
	f.mu.Unlock()
	f.held.Wait()
}
