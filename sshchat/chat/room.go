package chat

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Room is a set of members who all see the same lines in the same order.
//
// Publishing has two steps (publish.go). Under seqMu the room stamps the
// time and queues the line on its backlog; one pumper at a time hands the
// backlog to the store in that order, outside every lock. The store
// assigns the line its sequence number, the room's one order, and once the
// line is durable the hub publishes it on the bus; what the bus delivers
// reaches deliver, which queues it to every member under mu: a
// non-blocking push, so holding the lock costs microseconds. Persist, then
// fan out: nobody sees a line that a crash could lose, and a line the
// store refused is shown to nobody.
type Room struct {
	name    string
	now     func() time.Time
	history store.History
	bus     Bus
	hub     *Hub
	log     *slog.Logger
	metrics *Metrics

	// seqMu (lock tier 2, see doc.go) guards backlog, pumping, gone and
	// reroute: stamping and queueing a line, never the store call itself.
	seqMu   sync.Mutex
	backlog []pendingLine // stamped lines not yet handed to the store, oldest first
	pumping bool          // a goroutine is handing the backlog to the store
	// gone is set once the room has left the hub's map (evicted or
	// removed): later lines go through reroute to the room's current
	// object, so one name never has two sequences.
	gone    bool
	reroute func(ev *Event, wait publishWait, done func(error))
	pending atomic.Int64 // lines stamped and not yet stored and delivered (or refused)

	// Guarded by Hub.mu: how many members, watchers and one-shot commands
	// hold the room; a room nobody holds may be evicted from memory.
	holds     int
	idleSince time.Time

	// mu (lock tier 4) guards members, index, recent, topic and
	// creatorKey; under it only outboxes are pushed to (tier 5).
	mu         sync.Mutex
	members    []*Member
	index      map[*Member]int
	recent     []*Event // the last len(recent) delivered events, oldest first
	keep       int      // how many events recent holds
	seeded     bool     // recent holds the room's scrollback (see seedRoom)
	seeding    chan struct{}
	delivered  uint64 // the Seq of the last line delivered (for read markers)
	retention  time.Duration
	topic      string
	creatorKey string
	coalesce   coalescer // when members' writers are woken (coalesce.go)

	announcer *announcer
}

func newRoom(info store.RoomInfo, lastSeq uint64, h *Hub) *Room {
	r := &Room{
		name:       info.Name,
		now:        h.cfg.Now,
		history:    h.store,
		bus:        h.cfg.Bus,
		hub:        h,
		log:        h.log,
		metrics:    h.cfg.Metrics,
		delivered:  lastSeq,
		index:      make(map[*Member]int),
		keep:       h.cfg.Scrollback,
		retention:  h.cfg.Retention,
		topic:      info.Topic,
		creatorKey: info.CreatorKey,
	}
	r.announcer = newAnnouncer(r, h.cfg.announce)
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

// Topic returns the room's topic.
func (r *Room) Topic() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.topic
}

func (r *Room) info() store.RoomInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return store.RoomInfo{Name: r.name, Topic: r.topic, CreatorKey: r.creatorKey}
}

// join adds m and queues them the room's recent lines, under the same lock
// that delivery takes: every line is then either in the replay or delivered
// live after it, never both and never neither.
func (r *Room) join(m *Member, replay bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.index[m]; ok {
		return
	}
	if m.room.Load() != r {
		// They left (or moved on) after choosing this room: leaving
		// clears m.room before it removes m, so a late join must not
		// add a member nobody will remove.
		r.dropScrollbackIfEmptyLocked()
		return
	}
	if replay {
		if recent := r.recentLocked(); len(recent) > 0 {
			pushReplay(m, fmt.Sprintf("Last %d %s of %s:", len(recent), plural(len(recent), "line", "lines"), r.name), recent, replayBudget(m), lineUnit)
		}
	}
	r.index[m] = len(r.members)
	r.members = append(r.members, m)
}

// recentLocked is the room's recent lines within retention: lines past it
// are not shown, even before the hourly pruning removes them from the
// store. r.mu is held.
func (r *Room) recentLocked() []*Event {
	recent := r.recent
	if r.retention > 0 {
		cutoff := r.now().Add(-r.retention)
		for len(recent) > 0 && recent[0].Time.Before(cutoff) {
			recent = recent[1:]
		}
	}
	return recent
}

func (r *Room) remove(m *Member) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i, ok := r.index[m]; ok {
		last := len(r.members) - 1
		r.members[i] = r.members[last]
		r.index[r.members[i]] = i
		r.members[last] = nil
		r.members = r.members[:last]
		delete(r.index, m)
		m.out.wake() // lines held for this room's coalescing timer go out now
	}
	r.dropScrollbackIfEmptyLocked()
}

func (r *Room) setTopic(topic string) {
	r.mu.Lock()
	r.topic = topic
	r.mu.Unlock()
}

// deliver queues ev to every member. It runs on the store's writer
// goroutine, so it must never publish or wait: members whose outbox
// overflows are cut off, and their sessions leave the hub themselves.
func (r *Room) deliver(ev *Event) {
	var overflowed []*Member
	r.mu.Lock()
	if ev.Seq != 0 && ev.Seq <= r.delivered {
		// Delivered already (or in the store when the room loaded): a bus
		// may deliver a line twice (at least once), never out of order.
		r.mu.Unlock()
		return
	}
	r.delivered = max(r.delivered, ev.Seq)
	if r.keep > 0 && ev.said() && r.keepsScrollbackLocked() {
		if len(r.recent) == r.keep {
			copy(r.recent, r.recent[1:])
			r.recent[len(r.recent)-1] = ev
		} else {
			r.recent = append(r.recent, ev)
		}
	}
	wake := r.wakeNowLocked()
	for _, m := range r.members {
		if !m.out.push(ev, wake) {
			overflowed = append(overflowed, m)
		}
	}
	r.metrics.delivered(len(r.members) - len(overflowed))
	r.mu.Unlock()
	for _, m := range overflowed {
		m.cutOff("outbox overflow")
	}
}
