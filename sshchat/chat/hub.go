package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
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
	// from the store while one left is read again.
	roomGeneration uint64
	roomLoads      map[string]chan struct{} // by FoldRoom: loads under way, closed when done

	roomCount     atomic.Int64 // rooms in the store, for MaxRooms
	roomCreations *hourlyLimiter
	nickClaims    *hourlyLimiter
	nickSweep     atomic.Int64 // unix nanoseconds of the last nick expiry sweep
	marks         *markCache   // read markers not yet written (markers.go)
	unreadAsks    askLimiter   // when each key last asked /unread (catchup.go)

	stop    chan struct{}
	stopped sync.Once
	bg      sync.WaitGroup
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
		cfg.Store = nopStore{}
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
		roomLoads:     make(map[string]chan struct{}),
		stop:          make(chan struct{}),
		pace:          newPaceTable(cfg.Pacing),
		roomCreations: newHourlyLimiter(cfg.RoomsPerHour, defaultTracked),
		nickClaims:    newHourlyLimiter(cfg.NickClaimsPerHour, defaultTracked),
		marks:         newMarkCache(),
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
	return context.WithTimeout(context.Background(), storeTimeout)
}

// Join registers a new member carried by peer and puts them in the default
// room. A keyed member gets the nick their user name asks for when no
// other key owns it (and then owns it); otherwise they get another one and
// are told why. Guests get Guest-N.
func (h *Hub) Join(id Identity, peer Peer) (*Member, error) {
	id.User = sanitize.Text(id.User)
	id.ClientVersion = sanitize.Truncate(sanitize.Text(id.ClientVersion), 128)
	now := h.cfg.Now()
	m := &Member{
		identity: id,
		joined:   now,
		out:      NewOutbox(h.cfg.OutboxBytes),
		peer:     peer,
		done:     make(chan struct{}),
	}
	m.lastActive.Store(now.UnixNano())
	m.colour = id.Terminal && !id.NoColor
	m.prefs.Store(h.loadPrefs(id))
	h.loadIgnored(m)

	wanted := sanitize.Nick(id.User)
	candidates, why := h.nickCandidates(wanted, m.key(), id.Addr)
	nick, online, err := h.register(m, candidates, false)
	if err == nil && nick == "" {
		// Everything asked for is in use: only now ask the store about
		// the numbered variants, not on every join.
		nick, online, err = h.register(m, h.numberedNicks(wanted, m.key()), true)
	}
	if err != nil {
		return nil, err
	}
	room := m.Room()
	h.recordJoinSeen(m)

	h.log.Info("join", "nick", nick, "fingerprint", KeyOrGuest(id.Fingerprint), "addr", id.Addr)
	h.welcome(m, wanted, nick, why, online)
	if !id.Bot {
		h.seedRoom(room)
	}
	h.enterRoom(m, room, !id.Bot, true)
	h.deliverOffline(m)
	room.announcer.joined(nick)
	return m, nil
}

// nickCandidates lists the nicks a member may get, best first, after
// asking the store who owns them. why explains a refusal of wanted.
func (h *Hub) nickCandidates(wanted, key, addr string) (candidates []string, why string) {
	if key == "" {
		return nil, "" // guests are Guest-N
	}
	ctx, cancel := h.ctx()
	defer cancel()
	h.sweepExpiredNicks(ctx)
	if guestShaped(wanted) {
		why, wanted = wanted+" is a name for guests without a key", ""
	}
	if wanted != "" {
		if refusal := h.lookalikeRefusal(wanted, key, nil); refusal != "" {
			// Not even claimed: a look-alike of someone else's nick is no one's.
			why, wanted = refusal, ""
		}
	}
	// A key owns one nick: the first it uses. Connecting under another
	// name does not move that ownership (only /nick does): the other name
	// is used if no key owns it.
	owned, err := h.store.OwnedNick(ctx, key)
	ownsKnown := err == nil
	if err != nil {
		h.log.Error("look up owned nick", "err", err)
	}
	switch {
	case wanted == "":
	case owned == "" && ownsKnown:
		if refusal := h.mayClaimFirstNick(addr); refusal != "" {
			// Too many first claims from this address: the name may
			// be borrowed, not owned.
			switch owner, err := h.store.NickOwner(ctx, wanted); {
			case err != nil:
				h.log.Error("look up nick owner", "nick", wanted, "err", err)
			case owner == "":
				candidates = append(candidates, wanted)
				why = refusal + "; " + wanted + " is not yours to keep"
			default:
				why = wanted + " belongs to someone else's key"
			}
			break
		}
		owner, err := h.store.ClaimNick(ctx, wanted, key)
		if err != nil || owner != key {
			h.refundNickClaim(addr)
		}
		switch {
		case err != nil:
			h.log.Error("claim nick", "nick", wanted, "err", err)
		case owner == key:
			candidates = append(candidates, wanted)
		default:
			why = wanted + " belongs to someone else's key"
		}
	case sanitize.FoldNick(owned) == sanitize.FoldNick(wanted):
		candidates = append(candidates, owned)
	default:
		owner, err := h.store.NickOwner(ctx, wanted)
		switch {
		case err != nil:
			h.log.Error("look up nick owner", "nick", wanted, "err", err)
		case owner == "":
			candidates = append(candidates, wanted)
		default:
			why = wanted + " belongs to someone else's key"
		}
	}
	// A key that owns a nick gets it back when it cannot have what it
	// asked for.
	if owned != "" && len(candidates) == 0 {
		candidates = append(candidates, owned)
	}
	return candidates, why
}

// numberedNicks lists wanted_2 … wanted_9 that no other key owns, for a
// keyed member whose choices are all in use.
func (h *Hub) numberedNicks(wanted, key string) []string {
	if key == "" || wanted == "" || guestShaped(wanted) {
		return nil
	}
	ctx, cancel := h.ctx()
	defer cancel()
	var nicks []string
	for i := 2; i <= 9; i++ {
		suffix := fmt.Sprintf("_%d", i)
		c := sanitize.Truncate(wanted, sanitize.MaxNickLen-len(suffix)) + suffix
		if owner, err := h.store.NickOwner(ctx, c); err == nil && (owner == "" || owner == key) {
			nicks = append(nicks, c)
		}
	}
	return nicks
}

// register puts m online, in the default room, under the first of
// candidates nobody online uses; with none free it gives a Guest-N name
// when guest is true and otherwise reports "".
func (h *Hub) register(m *Member, candidates []string, guest bool) (nick string, online int, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return "", 0, ErrShuttingDown
	}
	for _, c := range candidates {
		if !h.nickTakenLocked(c, m) {
			nick = c
			break
		}
	}
	if nick == "" {
		if !guest {
			return "", 0, nil
		}
		nick = h.guestNickLocked()
	}
	h.nextID++
	m.id = h.nextID
	m.setNick(nick)
	h.setRoomLocked(m, h.lobby)
	h.nicks[sanitize.FoldNick(nick)] = m
	h.looks[sanitize.Skeleton(nick)] = m
	return nick, len(h.nicks), nil
}

// guestShaped reports whether nick looks like the names guests are given
// (Guest-N): keys cannot own those, so a guest never gets an owned name.
func guestShaped(nick string) bool {
	return strings.HasPrefix(sanitize.FoldNick(nick), "guest-")
}

func (h *Hub) guestNickLocked() string {
	for {
		h.guestSeq++
		n := fmt.Sprintf("Guest-%d", h.guestSeq)
		if !h.nickTakenLocked(n, nil) {
			return n
		}
	}
}

func (h *Hub) welcome(m *Member, wanted, nick, why string, online int) {
	for _, line := range strings.Split(h.cfg.MOTD, "\n") {
		if line = sanitize.Text(line); strings.TrimSpace(line) != "" {
			h.notice(m, line)
		}
	}
	switch {
	case m.key() == "":
		h.notice(m, guestWelcome(nick))
	case why != "":
		h.notice(m, fmt.Sprintf("%s, so you are %s. Type /nick NAME to change it.", why, nick))
	case wanted == "":
		h.notice(m, fmt.Sprintf("Your user name has no usable characters, so you are %s. Type /nick NAME to change it.", nick))
	case sanitize.FoldNick(wanted) != sanitize.FoldNick(nick):
		h.notice(m, fmt.Sprintf("%s is in use, so you are %s. Type /nick NAME to change it.", wanted, nick))
	}
	if note := nickNameNote(m.identity.User, wanted); note != "" {
		h.notice(m, note)
	}
	h.zoneNotice(m)
	room := m.Room()
	h.notice(m, fmt.Sprintf("Welcome to %s, %s! %d online. Type /help for commands.", room.Name(), nick, online))
	if topic := room.Topic(); topic != "" {
		h.notice(m, "Topic: "+topic)
	}
}

// Handle takes one line typed by m (without its line ending).
func (h *Hub) Handle(m *Member, line string) {
	if len(line) > h.cfg.MaxLine {
		h.cfg.Metrics.tooLong()
		h.afterOwnLines(m)
		h.notice(m, fmt.Sprintf("Not sent: the line is %d bytes long and the limit is %d.", len(line), h.cfg.MaxLine))
		return
	}
	line = sanitize.Text(line)
	if strings.TrimSpace(line) == "" {
		return
	}
	m.lastActive.Store(h.cfg.Now().UnixNano())
	if name, args, ok := ParseCommand(line); ok {
		h.afterOwnLines(m) // its answer after the lines typed before it
		h.runCommand(m, name, args)
		return
	}
	line = strings.TrimPrefix(line, "/") // "//text" says "/text"
	h.say(m, &Event{Kind: KindMessage, From: m.Nick(), FromKey: m.key(), Text: line})
}

// TooLong tells m that a line was refused for its length. Transports that
// cut over-long lines while reading call it instead of Handle.
func (h *Hub) TooLong(m *Member, length int) {
	h.cfg.Metrics.tooLong()
	h.afterOwnLines(m)
	h.notice(m, fmt.Sprintf("Not sent: the line is over %d bytes long (the limit is %d).", length, h.cfg.MaxLine))
}

func (h *Hub) say(m *Member, ev *Event) {
	if h.refuseIfMuted(m) {
		h.cfg.Metrics.muted()
		return
	}
	if room := m.Room(); room != nil {
		h.cfg.Metrics.accepted()
		m.inflight.Add(1)
		room.publishThen(ev, pumpInline, func(err error) {
			if err != nil {
				h.notice(m, notStored)
			}
			m.inflight.Done()
		})
	}
}

// Notice shows text to m alone, as a server line.
func (h *Hub) Notice(m *Member, text string) { h.notice(m, sanitize.Text(text)) }

func (h *Hub) notice(m *Member, text string) {
	h.deliver(m, &Event{Kind: KindNotice, Time: h.cfg.Now(), Text: text})
}

func (h *Hub) deliver(m *Member, ev *Event) {
	if !m.out.Push(ev) {
		m.cutOff("outbox overflow")
	}
}

// Disconnect removes m from the hub and cuts their connection at once. The
// server uses it for members whose writes are stuck.
func (h *Hub) Disconnect(m *Member, reason string) { h.disconnect(m, reason) }

func (h *Hub) disconnect(m *Member, reason string) {
	m.kickReason.CompareAndSwap(nil, &reason)
	// The connection first: leaving announces, which can wait on the
	// store, and whoever cuts a stuck client off must not wait.
	m.peer.Disconnect(reason)
	h.leave(m, reason, true)
	// Logged here, whoever ends up running leave (the member's reader
	// often gets there first once the connection is closed).
	h.log.Warn("disconnect", "nick", m.Nick(), "addr", m.identity.Addr, "reason", reason)
}

// ejectGrace is how long a kicked or banned member's session has to show
// them why before their connection is closed regardless.
const ejectGrace = 2 * time.Second

// eject removes m and ends their session the polite way first: leaving
// closes Done, so their writer flushes what is queued (the notice saying
// why) and ends the session. A client that does not read, or keeps the
// connection open, is cut off after ejectGrace.
func (h *Hub) eject(m *Member, reason string) {
	m.kickReason.CompareAndSwap(nil, &reason)
	if h.leave(m, reason, true) {
		h.log.Warn("disconnect", "nick", m.Nick(), "addr", m.identity.Addr, "reason", reason)
	}
	time.AfterFunc(ejectGrace, func() {
		defer recoverAndLog("eject")
		m.peer.Disconnect(reason)
	})
}

// Leave removes m from the hub; their Done channel closes so that their
// session can end. It is safe to call more than once.
func (h *Hub) Leave(m *Member, reason string) { h.leave(m, reason, true) }

// maxLeaveWait bounds how long leaving waits for the member's own lines.
const maxLeaveWait = 5 * time.Second

// LeaveAfterDelivery is Leave once m's own lines sent so far have been
// delivered (at most a few seconds): a script that posts a line and closes
// its input sees its line, and so does someone who types /quit right after
// saying goodbye. Call it from m's reader, which sends nothing meanwhile.
func (h *Hub) LeaveAfterDelivery(m *Member, reason string) {
	waitDelivered(&m.inflight, m.done, maxLeaveWait)
	h.leave(m, reason, true)
}

// waitDelivered waits until the lines counted in inflight are delivered,
// stop closes, or timeout passes, and reports whether they were delivered.
// The goroutine it starts ends when the store calls back, which it does for
// every line, also after Close.
func waitDelivered(inflight *sync.WaitGroup, stop <-chan struct{}, timeout time.Duration) bool {
	delivered := make(chan struct{})
	go func() {
		defer recoverAndLog("delivery wait")
		inflight.Wait()
		close(delivered)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-delivered:
		return true
	case <-stop:
	case <-timer.C:
	}
	return false
}

func (h *Hub) leave(m *Member, reason string, announce bool) (left bool) {
	if kicked := m.kickReason.Load(); kicked != nil {
		reason = *kicked
	}
	m.leaveOnce.Do(func() {
		left = true
		if m.kickReason.Load() != nil {
			h.cfg.Metrics.cut(reason)
		}
		h.mu.Lock()
		nick := m.Nick()
		if h.nicks[sanitize.FoldNick(nick)] == m {
			delete(h.nicks, sanitize.FoldNick(nick))
		}
		if h.looks[sanitize.Skeleton(nick)] == m {
			delete(h.looks, sanitize.Skeleton(nick))
		}
		delete(h.watchers, m)
		room := m.Room()
		h.setRoomLocked(m, nil)
		announce = announce && !h.closing && !m.hidden
		h.mu.Unlock()

		if room != nil {
			room.remove(m)
			if announce {
				room.announcer.left(nick)
			}
		}
		m.out.Close()
		h.reportMarks(m)
		m.leaveReason.Store(&reason)
		close(m.done)
		if !m.hidden {
			h.log.Info("leave", "nick", nick, "addr", m.identity.Addr, "reason", reason)
		}
	})
	return left
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
	h.mu.Lock()
	rooms := h.roomListLocked()
	h.mu.Unlock()
	for _, r := range rooms {
		r.announcer.stop()
	}
	h.stopped.Do(func() { close(h.stop) })
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
