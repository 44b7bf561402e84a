package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Rosters: each node's list of people online (nick, room, away), one key
// per node in the roster bucket, for /who and the online count across
// nodes. A node rewrites its list when it changes and every few seconds
// (chat/roster.go); every node watches the bucket and keeps the lists in
// memory, so reading them costs no network. A list not rewritten within
// the presence TTL is a dead node's and is ignored.

// rosterValueSize bounds one node's list on the wire (the chat caps it at
// 2000 people; a nick, a room and a short away text each).
const rosterValueSize = 512 << 10

// rosterTTL is how long a node's list counts after its last write: the
// presence TTL, but never less than three of the chat's refreshes (5 s).
func rosterTTL(presence time.Duration) time.Duration { return max(presence, 15*time.Second) }

// rosterWire is one node's list in the bucket.
type rosterWire struct {
	At     time.Time      `json:"at"`
	People []rosterPerson `json:"p,omitempty"`
}

type rosterPerson struct {
	Nick  string    `json:"n"`
	Room  string    `json:"r"`
	Away  string    `json:"a,omitempty"`
	Key   string    `json:"k,omitempty"` // for /whois elsewhere
	Since time.Time `json:"s,omitzero"`  // when they connected
}

// rosterBook is the watched copy of every node's list.
type rosterBook struct {
	ttl time.Duration
	log *slog.Logger

	mu     sync.Mutex // a leaf: lists only, no I/O
	byNode map[string]rosterWire
	// rooms counts each node's people by folded room, made when its list
	// arrives, so counting a room's people costs no walk over the lists.
	rooms map[string]map[string]int

	watcher *natsjs.Watcher
}

// watchRosters starts keeping the lists of the roster bucket.
func watchRosters(ctx context.Context, b *natsjs.Bucket, ttl time.Duration, log *slog.Logger) (*rosterBook, error) {
	r := &rosterBook{ttl: ttl, log: log, byNode: map[string]rosterWire{}, rooms: map[string]map[string]int{}}
	w, err := b.Watch(ctx, r.apply, func() {})
	if err != nil {
		return nil, fmt.Errorf("watch rosters: %w", err)
	}
	r.watcher = w
	return r, nil
}

func (r *rosterBook) apply(e natsjs.Entry) {
	if e.Op != natsjs.OpPut {
		r.mu.Lock()
		delete(r.byNode, e.Key)
		delete(r.rooms, e.Key)
		r.mu.Unlock()
		return
	}
	var w rosterWire
	if err := json.Unmarshal(e.Value, &w); err != nil {
		r.log.Warn("ignoring an undecodable roster", "node", e.Key, "err", err)
		return
	}
	rooms := make(map[string]int)
	for _, p := range w.People {
		rooms[store.Fold(p.Room)]++
	}
	r.mu.Lock()
	r.byNode[e.Key] = w
	r.rooms[e.Key] = rooms
	r.mu.Unlock()
}

func (r *rosterBook) stop() { r.watcher.Stop() }

// PutRoster replaces node's list of people online.
func (s *Store) PutRoster(ctx context.Context, node string, people []chat.WhoEntry) error {
	w := rosterWire{At: time.Now(), People: make([]rosterPerson, len(people))}
	for i, p := range people {
		w.People[i] = rosterPerson{Nick: p.Nick, Room: p.Room, Away: p.Away, Key: p.Key, Since: p.Since}
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("roster of %s: %w", node, err)
	}
	if _, err := s.roster.Put(ctx, node, payload); err != nil {
		return fmt.Errorf("roster of %s: %w", node, err)
	}
	return nil
}

// Rosters returns every node's list still fresh, from memory.
func (s *Store) Rosters() map[string][]chat.WhoEntry {
	now := time.Now()
	r := s.rosters
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]chat.WhoEntry, len(r.byNode))
	for node, w := range r.byNode {
		if now.Sub(w.At) > r.ttl || len(w.People) == 0 {
			continue // a node that died, or has nobody
		}
		people := make([]chat.WhoEntry, len(w.People))
		for i, p := range w.People {
			people[i] = chat.WhoEntry{Nick: p.Nick, Room: p.Room, Away: p.Away, Key: p.Key, Since: p.Since}
		}
		out[node] = people
	}
	return out
}

// RoomPeople counts the people in room on every node but exceptNode whose
// list is still fresh, from memory (for the "(N here)" of join lines).
func (s *Store) RoomPeople(room, exceptNode string) int {
	now, fold := time.Now(), store.Fold(room)
	r := s.rosters
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for node, rooms := range r.rooms {
		if node != exceptNode && now.Sub(r.byNode[node].At) <= r.ttl {
			n += rooms[fold]
		}
	}
	return n
}
