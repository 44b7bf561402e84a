package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
	"github.com/sshchat/sshchat/sshchat/store"
)

// ErrShuttingDown is returned by Join once Shutdown has begun.
var ErrShuttingDown = errors.New("the server is shutting down")

// Config tunes a Hub. Zero values get the defaults noted.
type Config struct {
	// Store keeps history, nick ownership, moderation and preferences.
	// Nil keeps nothing (for tests and benchmarks).
	Store store.Store
	// Bus carries stored lines and changes of shared state to every
	// node's hub, this one included (default: a LocalBus of its own).
	// Hubs sharing a Store share its Bus.
	Bus Bus
	// DefaultRoom is where everyone starts (default "#lobby").
	DefaultRoom string
	// Scrollback is how many recent lines a member sees on joining a room
	// (default 50; negative: none).
	Scrollback int
	// Retention is how long room history is kept (0: forever).
	Retention time.Duration
	// OutboxBytes bounds each member's queue of undelivered lines
	// (default 512 KiB). A member who falls that far behind is cut off.
	OutboxBytes int
	// MaxLine is the longest line, in bytes, a member may send (default 1000).
	MaxLine int
	// MOTD is shown to each member on joining; it is sanitized line by line.
	MOTD string
	// Logger receives joins, leaves and kicks (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests inject their own.
	Now func() time.Time
	// Pacing slows down members who type faster than its rate; the zero
	// value turns it off (DefaultPacing is what the server uses).
	Pacing Pacing
	// Metrics counts lines, deliveries and cuts; nil counts nothing.
	Metrics *Metrics

	// RoomsPerHour is how many rooms one key (or one guest address) may
	// create per hour (default DefaultRoomsPerHour; negative: no cap).
	RoomsPerHour int
	// MaxRooms caps the rooms the server keeps (default DefaultMaxRooms;
	// negative: no cap).
	MaxRooms int
	// MaxLoadedRooms bounds the rooms held in memory: rooms nobody is in
	// are evicted past it and loaded again when someone comes back
	// (default 1024).
	MaxLoadedRooms int
	// NickExpiry is how long a key may stay away before the nick it owns is
	// released (default DefaultNickExpiry; negative: never).
	NickExpiry time.Duration
	// NickClaimsPerHour is how many keys that own no nick yet may claim one
	// from one address per hour (default DefaultNickClaimsPerHour;
	// negative: no cap).
	NickClaimsPerHour int
	// HistoryBurst is each key's budget of history credits (default 10;
	// negative: no budget). See historycost.go.
	HistoryBurst int

	announce announceConfig
}

const (
	defaultOutboxBytes = 512 << 10
	defaultMaxLine     = 1000
	defaultScrollback  = 50
	// DefaultRoomName is the room everyone starts in unless configured.
	DefaultRoomName = "#lobby"
	// storeTimeout bounds each store call made on a member's behalf.
	storeTimeout = 5 * time.Second
)

// Hub is the registry of members and rooms and the router of their lines.
// It is safe for concurrent use: each member's session calls Handle from
// its own goroutine.
type Hub struct {
	cfg   Config
	log   *slog.Logger
	store store.Store
	lobby *Room
	mod   moderation
	pace  *paceTable // nil: pacing is off
	// history is each key's budget for searches and history reads.
	history historyGate

	// mu (lock tier 3, see doc.go) guards the registries below; only
	// Room.mu and Outbox.mu are taken under it, and it is never held
	// across the store or a publish.
	mu       sync.Mutex
	nicks    map[string]*Member // by sanitize.FoldNick
	reserved map[string]*Member // nicks held by a rename in progress (nick_reserve.go)
	looks    map[string]*Member // the same members by sanitize.Skeleton
	watchers map[*Member]struct{}
	rooms    map[string]*Room // by FoldRoom: the rooms in memory (see roomload.go)
	nextID   uint64
	closing  bool
	guestSeq int
	// roomGeneration counts rooms that left memory (under mu): a room read
	// from the store while one left is read again. roomRemovals counts
	// only removals (/rmroom): a load that overlapped one always reads
	// again, however many evictions used up its retries.
	roomGeneration uint64
	roomRemovals   uint64
	roomLoads      map[string]chan struct{} // by FoldRoom: loads under way, closed when done

	roomCount           atomic.Int64 // rooms in the store, for MaxRooms
	roomCreations       *hourlyLimiter
	roomCreationsByAddr *hourlyLimiter // the keys of one address together (roomcaps.go)
	nickClaims          *hourlyLimiter
	nickSweep           atomic.Int64   // unix nanoseconds of the last nick expiry sweep
	marks               *markCache     // read markers not yet written (markers.go)
	unreadAsks          askLimiter     // when each key last asked /unread (catchup.go)
	loginSummaries      summaryLimiter // each key's allowance of login summaries (login_summary.go)
	ignores             ignoreEdits    // changes of ignore lists, one at a time (ignore_edits.go)
	prefsReloads        prefsReloads   // keys whose preferences changed on another node (prefs_remote.go)

	stop    chan struct{}
	stopped sync.Once
	bg      sync.WaitGroup
	// bgMu (a leaf: nothing is taken under it, nothing waits under it)
	// orders bg.Add against Close's bg.Wait: a session that leaves after
	// a hard Close must not start work on the closed store (a data race
	// on bg, found by TestNodeKilledMidFloodLosesNothingSeen).
	bgMu     sync.Mutex
	bgClosed bool

	// unsubscribe takes the hub off the bus (Close).
	unsubscribe func()
	// node names this hub among the nodes sharing its store (presence.go).
	node string
	// remoteKeeps bounds the private messages from other nodes being
	// kept in a mailbox at once (private_remote.go).
	remoteKeeps chan struct{}
}

// NewHub loads the default room (not its history, and no other room: rooms
// load on demand, see roomload.go) and moderation state from the store and
// starts the hub's background work (history retention).
func NewHub(cfg Config) (*Hub, error) {
	if cfg.OutboxBytes <= 0 {
		cfg.OutboxBytes = defaultOutboxBytes
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = defaultMaxLine
	}
	if cfg.Scrollback == 0 {
		cfg.Scrollback = defaultScrollback
	}
	cfg.Scrollback = max(cfg.Scrollback, 0)
	if cfg.DefaultRoom == "" {
		cfg.DefaultRoom = DefaultRoomName
	}
	if err := ValidRoom(cfg.DefaultRoom); err != nil {
		return nil, fmt.Errorf("default room %q: %w", cfg.DefaultRoom, err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Store == nil {
		cfg.Store = newNopStore()
	}
	if cfg.Bus == nil {
		cfg.Bus = NewLocalBus()
	}
	if cfg.Pacing.Rate > 0 {
		if cfg.Pacing.WarnAfter <= 0 {
			cfg.Pacing.WarnAfter = DefaultPacing.WarnAfter
		}
		if cfg.Pacing.KickAfter <= 0 {
			cfg.Pacing.KickAfter = DefaultPacing.KickAfter
		}
	}
	if cfg.HistoryBurst == 0 {
		cfg.HistoryBurst = historyBurst
	}
	if cfg.announce == (announceConfig{}) {
		cfg.announce = defaultAnnounce
	}
	cfg.RoomsPerHour = orDefault(cfg.RoomsPerHour, DefaultRoomsPerHour)
	cfg.MaxRooms = orDefault(cfg.MaxRooms, DefaultMaxRooms)
	cfg.MaxLoadedRooms = max(orDefault(cfg.MaxLoadedRooms, defaultMaxLoadedRooms), 1)
	cfg.NickClaimsPerHour = orDefault(cfg.NickClaimsPerHour, DefaultNickClaimsPerHour)
	cfg.NickExpiry = orDefault(cfg.NickExpiry, DefaultNickExpiry)
	h := &Hub{
		cfg: cfg, log: cfg.Logger, store: cfg.Store,
		nicks: make(map[string]*Member), looks: make(map[string]*Member), rooms: make(map[string]*Room), watchers: make(map[*Member]struct{}),
		roomLoads:           make(map[string]chan struct{}),
		node:                newNodeID(),
		remoteKeeps:         make(chan struct{}, maxRemoteKeeps),
		stop:                make(chan struct{}),
		pace:                newPaceTable(cfg.Pacing),
		roomCreations:       newHourlyLimiter(cfg.RoomsPerHour, defaultTracked),
		roomCreationsByAddr: newHourlyLimiter(cfg.RoomsPerHour*roomsPerAddrFactor, defaultTracked),
		nickClaims:          newHourlyLimiter(cfg.NickClaimsPerHour, defaultTracked),
		marks:               newMarkCache(),
	}
	h.history.burst = max(cfg.HistoryBurst, 0)
	if cfg.Retention > 0 {
		// Before the rooms load their recent lines, so none past
		// retention is replayed.
		h.pruneOnce()
	}
	if err := h.loadDefaultRoom(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.loadModeration(ctx); err != nil {
		return nil, err
	}
	if cfg.Retention > 0 {
		h.goBackground("retention", h.pruneHistory)
	}
	h.startRoster()
	h.unsubscribe = cfg.Bus.Subscribe(busNode{h})
	return h, nil
}

// MaxLine is the longest line in bytes that Handle accepts.
func (h *Hub) MaxLine() int { return h.cfg.MaxLine }

// Online returns the number of members connected.
func (h *Hub) Online() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.nicks)
}

func (h *Hub) ctx() (context.Context, context.CancelFunc) {
	return newStoreCtx(storeTimeout) // a timer only if the store waits on Done (storectx.go)
}

// Shutdown tells every member that the server is going down and ends their
// sessions; Join is refused from now on.
func (h *Hub) Shutdown(notice string) {
	h.mu.Lock()
	h.closing = true
	members := make([]*Member, 0, len(h.nicks)+len(h.watchers))
	for _, m := range h.nicks {
		members = append(members, m)
	}
	for m := range h.watchers {
		members = append(members, m)
	}
	rooms := h.roomListLocked()
	h.mu.Unlock()
	for _, r := range rooms {
		r.announcer.stop()
	}
	for _, m := range members {
		h.notice(m, notice)
		h.leave(m, "server shutdown", false)
	}
}

// Close stops the hub's timers and background work. Members still joined
// are left alone; call Shutdown first to end them. The store is the
// caller's to close, after this.
func (h *Hub) Close() {
	if h.unsubscribe != nil {
		h.unsubscribe()
	}
	h.mu.Lock()
	rooms := h.roomListLocked()
	h.mu.Unlock()
	for _, r := range rooms {
		r.announcer.stop()
	}
	h.stopped.Do(func() { close(h.stop) })
	h.bgMu.Lock()
	h.bgClosed = true
	h.bgMu.Unlock()
	h.bg.Wait()
	h.closeMarks()
}

func (h *Hub) roomListLocked() []*Room {
	rooms := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	return rooms
}

func (h *Hub) lookup(nick string) *Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nicks[sanitize.FoldNick(nick)]
}

// Members returns everyone online, sorted by nick.
func (h *Hub) Members() []*Member {
	h.mu.Lock()
	members := make([]*Member, 0, len(h.nicks))
	for _, m := range h.nicks {
		members = append(members, m)
	}
	h.mu.Unlock()
	sort.Slice(members, func(i, j int) bool {
		return sanitize.FoldNick(members[i].Nick()) < sanitize.FoldNick(members[j].Nick())
	})
	return members
}

// goBackground runs fn on a goroutine the hub owns: Close stops it (fn must
// return when h.stop closes) and waits for it.
func (h *Hub) goBackground(name string, fn func()) {
	h.bgMu.Lock()
	defer h.bgMu.Unlock()
	if h.bgClosed {
		// Closed: the store is going away. Presence expires on its own
		// and retention runs again at the next start.
		return
	}
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		defer recoverAndLog(name)
		fn()
	}()
}

// KeyOrGuest is how logs and operators name an identity: the key
// fingerprint, or "guest".
func KeyOrGuest(fingerprint string) string {
	if fingerprint == "" {
		return "guest"
	}
	return fingerprint
}

// recoverAndLog keeps a panic in a hub goroutine from taking down the
// server; it is deferred at the top of every goroutine this package starts.
func recoverAndLog(where string) {
	if r := recover(); r != nil {
		slog.Error("panic recovered", "where", where, "panic", r, "stack", string(debug.Stack()))
	}
}
