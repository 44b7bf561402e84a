package chat

import (
	"sync"
	"time"
)

// Room is a set of members who all see the same lines in the same order.
// Sequence numbers are assigned and events are queued to every member under
// one lock, which is what makes the order the same for everyone; queueing is
// a non-blocking push, so holding the lock costs microseconds.
type Room struct {
	name string
	now  func() time.Time

	mu      sync.Mutex
	members []*Member
	index   map[*Member]int
	seq     uint64

	announcer *announcer
}

func newRoom(name string, now func() time.Time, ann announceConfig) *Room {
	r := &Room{name: name, now: now, index: make(map[*Member]int)}
	r.announcer = newAnnouncer(r, ann)
	return r
}

// Name returns the room's name, e.g. "#lobby".
func (r *Room) Name() string { return r.name }

// Len returns the number of members in the room.
func (r *Room) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members)
}

func (r *Room) add(m *Member) {
	r.mu.Lock()
	if _, ok := r.index[m]; !ok {
		r.index[m] = len(r.members)
		r.members = append(r.members, m)
	}
	r.mu.Unlock()
}

func (r *Room) remove(m *Member) {
	r.mu.Lock()
	if i, ok := r.index[m]; ok {
		last := len(r.members) - 1
		r.members[i] = r.members[last]
		r.index[r.members[i]] = i
		r.members[last] = nil
		r.members = r.members[:last]
		delete(r.index, m)
	}
	r.mu.Unlock()
}

// publish stamps ev with the room's next sequence number and queues it to
// every member. It returns the members whose outbox overflowed; the caller
// disconnects them after the lock is released.
func (r *Room) publish(ev *Event) (overflowed []*Member) {
	r.mu.Lock()
	r.seq++
	ev.Seq = r.seq
	ev.Room = r.name
	ev.Time = r.now()
	for _, m := range r.members {
		if !m.out.Push(ev) {
			overflowed = append(overflowed, m)
		}
	}
	r.mu.Unlock()
	return overflowed
}
