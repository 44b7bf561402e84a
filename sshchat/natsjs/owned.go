package natsjs

import (
	"errors"
	"sync"
)

// errClosed is returned when a consumer or watcher is started on a closed
// connection.
var errClosed = errors.New("natsjs: connection closed")

// stopper is a consumer or watcher: something with a goroutine that the
// connection must end before it closes.
type stopper interface{ Stop() }

// owned is the set of consumers and watchers started on a connection, so
// that Close ends those the caller did not stop (otherwise the library
// would retry them forever on a closed connection).
type owned struct {
	// mu guards running and closing. Lock tier: leaf; no other lock and no
	// I/O under it (Stop is called after releasing it).
	mu      sync.Mutex
	running map[stopper]struct{}
	closing bool
}

// add registers s, or stops it at once and fails if the connection is
// closing.
func (o *owned) add(s stopper) error {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		s.Stop()
		return errClosed
	}
	if o.running == nil {
		o.running = make(map[stopper]struct{})
	}
	o.running[s] = struct{}{}
	o.mu.Unlock()
	return nil
}

func (o *owned) remove(s stopper) {
	o.mu.Lock()
	delete(o.running, s)
	o.mu.Unlock()
}

// reconnecter is a member that wants to know about reconnects.
type reconnecter interface{ reconnected() }

// reconnected tells every member that cares that the connection is back.
// Members only signal their own goroutine; nothing blocks here.
func (o *owned) reconnected() {
	o.mu.Lock()
	all := make([]reconnecter, 0, len(o.running))
	for s := range o.running {
		if r, ok := s.(reconnecter); ok {
			all = append(all, r)
		}
	}
	o.mu.Unlock()
	for _, r := range all {
		r.reconnected()
	}
}

// stopAll marks the set closing and stops every member.
func (o *owned) stopAll() {
	o.mu.Lock()
	o.closing = true
	all := make([]stopper, 0, len(o.running))
	for s := range o.running {
		all = append(all, s)
	}
	o.mu.Unlock()
	for _, s := range all {
		s.Stop()
	}
}
