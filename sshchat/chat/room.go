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
// Publishing has two steps. Under seqMu the room stamps the next sequence
// number and hands the line to the store, in that order, so the store's
// FIFO commit order is the room's order. Once the line is durable the store
// calls deliver, which queues it to every member under mu: a non-blocking
// push, so holding the lock costs microseconds. Persist, then fan out:
// nobody sees a line that a crash could lose.
type Room struct {
	name    string
	now     func() time.Time
	history store.History
	log     *slog.Logger
	metrics *Metrics

	seqMu sync.Mutex // tier: after announcer.mu, before Hub.mu
	seq   uint64
	// gone (under seqMu) is set once the room has left the hub's map
	// (evicted or removed): later lines go through reroute to the room's
	// current object, so one name never has two sequences.
	gone    bool
	reroute func(ev *Event, inflight *sync.WaitGroup)
	pending atomic.Int64 // lines handed to the store, not yet delivered

	// Guarded by Hub.mu: how many members, watchers and one-shot commands
	// hold the room; a room nobody holds may be evicted from memory.
	holds     int
	idleSince time.Time

	mu         sync.Mutex // tier: innermost (after Hub.mu); no I/O under it
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

	announcer *announcer
}

func newRoom(info store.RoomInfo, lastSeq uint64, h *Hub) *Room {
	r := &Room{
		name:       info.Name,
		now:        h.cfg.Now,
		history:    h.store,
		log:        h.log,
		metrics:    h.cfg.Metrics,
		seq:        lastSeq,
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
		recent := r.recent
		if r.retention > 0 {
			// Lines past retention are not shown, even before the
			// hourly pruning removes them from the store.
			cutoff := r.now().Add(-r.retention)
			for len(recent) > 0 && recent[0].Time.Before(cutoff) {
				recent = recent[1:]
			}
		}
		if len(recent) > 0 {
			pushReplay(m, fmt.Sprintf("Last %d %s of %s:", len(recent), plural(len(recent), "line", "lines"), r.name), recent, replayBudget(m), lineUnit)
		}
	}
	r.index[m] = len(r.members)
	r.members = append(r.members, m)
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
	}
	r.dropScrollbackIfEmptyLocked()
}

func (r *Room) setTopic(topic string) {
	r.mu.Lock()
	r.topic = topic
	r.mu.Unlock()
}

// publish stamps ev with the room's next sequence number and time and sends
// it to the store; members receive it once it is committed. inflight, if
// not nil, counts the line until it has been delivered.
func (r *Room) publish(ev *Event, inflight *sync.WaitGroup) {
	r.seqMu.Lock()
	if r.gone {
		r.seqMu.Unlock()
		if r.reroute != nil {
			r.reroute(ev, inflight)
		}
		return
	}
	defer r.seqMu.Unlock()
	if inflight != nil {
		inflight.Add(1)
	}
	r.pending.Add(1)
	r.seq++
	ev.Seq = r.seq
	ev.Room = r.name
	ev.Time = r.now()
	ev.accepted = time.Now() // monotonic, whatever r.now says
	r.history.Append(ev.message(), func(err error) {
		if err != nil {
			r.metrics.notStored()
			// Availability over durability: the line is still shown,
			// and the operator learns the disk is in trouble.
			r.log.Error("store line", "room", r.name, "seq", ev.Seq, "err", err)
		}
		r.deliver(ev)
		r.pending.Add(-1)
		if inflight != nil {
			inflight.Done()
		}
	})
}

// deliver queues ev to every member. It runs on the store's writer
// goroutine, so it must never publish or wait: members whose outbox
// overflows are cut off, and their sessions leave the hub themselves.
func (r *Room) deliver(ev *Event) {
	var overflowed []*Member
	r.mu.Lock()
	r.delivered = max(r.delivered, ev.Seq)
	if r.keep > 0 && ev.said() && r.keepsScrollbackLocked() {
		if len(r.recent) == r.keep {
			copy(r.recent, r.recent[1:])
			r.recent[len(r.recent)-1] = ev
		} else {
			r.recent = append(r.recent, ev)
		}
	}
	for _, m := range r.members {
		if !m.out.Push(ev) {
			overflowed = append(overflowed, m)
		}
	}
	r.metrics.delivered(len(r.members) - len(overflowed))
	r.mu.Unlock()
	for _, m := range overflowed {
		m.cutOff("outbox overflow")
	}
}
