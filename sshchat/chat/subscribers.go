package chat

import (
	"sync"
	"sync/atomic"
)

// Subscribers is the list of a bus's subscribers, for any Bus
// implementation: adding and removing copy the list under a leaf mutex,
// and delivering reads it without a lock (one atomic load per line). The
// zero value is an empty list.
type Subscribers struct {
	mu   sync.Mutex // lock tier: leaf; serializes Add and stop only
	list atomic.Pointer[[]Subscriber]
}

// Add adds s; stop removes it (calling it again does nothing).
func (ss *Subscribers) Add(s Subscriber) (stop func()) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var list []Subscriber
	if old := ss.list.Load(); old != nil {
		list = append(list, *old...)
	}
	list = append(list, s)
	ss.list.Store(&list)
	var once sync.Once
	return func() {
		once.Do(func() {
			ss.mu.Lock()
			defer ss.mu.Unlock()
			var kept []Subscriber
			for _, x := range *ss.list.Load() {
				if x != s {
					kept = append(kept, x)
				}
			}
			ss.list.Store(&kept)
		})
	}
}

// All returns the subscribers now; the caller must not change the slice.
func (ss *Subscribers) All() []Subscriber {
	if list := ss.list.Load(); list != nil {
		return *list
	}
	return nil
}
