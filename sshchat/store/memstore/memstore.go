package memstore

import (
	"sync"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// queueSize bounds Append's queue, like the SQLite engine's default.
const queueSize = 8192

// Store is an in-memory store.Store. The zero value is not usable: call
// New.
type Store struct {
	// mu (a leaf: nothing is called under it) guards every field below
	// and closed; Append's send on queue holds it for reading so that
	// Close cannot close the queue under a sender.
	mu     sync.RWMutex
	closed bool

	lastSeq   map[string]uint64          // highest seq ever stored per room (exact name)
	history   map[string][]store.Message // per room (exact name), ordered by Seq
	private   []store.Message            // private messages appended to the log
	mailbox   map[string][]store.Message // kept private messages per recipient key
	mailID    uint64
	guests    uint64                       // the last guest number given
	nicks     map[string]*nickClaim        // by folded nick
	keyNick   map[string]string            // key -> folded nick it owns
	online    map[string]string            // folded nick -> holder online under it
	markers   map[string]map[string]marker // key -> folded room -> read marker
	ops       map[string]bool
	bans      map[string]store.Ban
	mutes     map[string]store.Mute
	audit     []store.AuditEntry
	rooms     map[string]store.RoomInfo // by folded name
	prefs     map[string]map[string]string
	queue     chan pending
	done      chan struct{}
	closeOnce sync.Once
}

type nickClaim struct {
	nick, key string
	seen      time.Time
}

type pending struct {
	m    store.Message
	done func(uint64, error)
}

var _ store.Store = (*Store)(nil)

// New returns an empty store and starts its writer goroutine, which Close
// stops.
func New() *Store {
	s := &Store{
		lastSeq: make(map[string]uint64),
		history: make(map[string][]store.Message),
		mailbox: make(map[string][]store.Message),
		nicks:   make(map[string]*nickClaim),
		keyNick: make(map[string]string),
		online:  make(map[string]string),
		markers: make(map[string]map[string]marker),
		ops:     make(map[string]bool),
		bans:    make(map[string]store.Ban),
		mutes:   make(map[string]store.Mute),
		rooms:   make(map[string]store.RoomInfo),
		prefs:   make(map[string]map[string]string),
		queue:   make(chan pending, queueSize),
		done:    make(chan struct{}),
	}
	go s.writer()
	return s
}

// Close commits what is queued (calling the callbacks) and closes; reads
// and writes then fail with store.ErrClosed. Closing again returns nil.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.queue)
		s.mu.Unlock()
		<-s.done
	})
	return nil
}

// read runs fn under the read lock, or returns store.ErrClosed.
func (s *Store) read(fn func() error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	return fn()
}

// write runs fn under the write lock, or returns store.ErrClosed.
func (s *Store) write(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	return fn()
}
