package chat

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// ErrShuttingDown is returned by Join once Shutdown has begun.
var ErrShuttingDown = errors.New("the server is shutting down")

// Config tunes a Hub. Zero values get the defaults noted.
type Config struct {
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

	announce announceConfig
}

const (
	defaultOutboxBytes = 512 << 10
	defaultMaxLine     = 1000
	// LobbyName is the room everyone starts in.
	LobbyName = "#lobby"
)

// Hub is the registry of members and the router of their lines. It is safe
// for concurrent use: each member's session calls Handle from its own
// goroutine.
type Hub struct {
	cfg   Config
	log   *slog.Logger
	lobby *Room

	mu       sync.Mutex
	nicks    map[string]*Member // by sanitize.FoldNick
	nextID   uint64
	closing  bool
	guestSeq int
}

// NewHub returns a hub with one room, the lobby.
func NewHub(cfg Config) *Hub {
	if cfg.OutboxBytes <= 0 {
		cfg.OutboxBytes = defaultOutboxBytes
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = defaultMaxLine
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Pacing.Rate > 0 {
		if cfg.Pacing.WarnAfter <= 0 {
			cfg.Pacing.WarnAfter = DefaultPacing.WarnAfter
		}
		if cfg.Pacing.KickAfter <= 0 {
			cfg.Pacing.KickAfter = DefaultPacing.KickAfter
		}
	}
	if cfg.announce == (announceConfig{}) {
		cfg.announce = defaultAnnounce
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, nicks: make(map[string]*Member)}
	h.lobby = newRoom(LobbyName, cfg.Now, cfg.announce)
	h.lobby.announcer.onOverflow = h.disconnectOverflowed
	return h
}

// MaxLine is the longest line in bytes that Handle accepts.
func (h *Hub) MaxLine() int { return h.cfg.MaxLine }

// Online returns the number of members connected.
func (h *Hub) Online() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.nicks)
}

// Join registers a new member carried by peer. The nick is derived from
// id.User; if it is taken (or empty) the member gets another one and is told
// why.
func (h *Hub) Join(id Identity, peer Peer) (*Member, error) {
	id.User = sanitize.Text(id.User)
	id.ClientVersion = sanitize.Truncate(sanitize.Text(id.ClientVersion), 128)
	m := &Member{
		identity: id,
		joined:   h.cfg.Now(),
		out:      NewOutbox(h.cfg.OutboxBytes),
		peer:     peer,
		done:     make(chan struct{}),
		pacer:    newPacer(h.cfg.Pacing),
	}

	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return nil, ErrShuttingDown
	}
	h.nextID++
	m.id = h.nextID
	wanted := sanitize.Nick(id.User)
	nick := h.freeNickLocked(wanted)
	m.setNick(nick)
	m.room = h.lobby
	h.nicks[sanitize.FoldNick(nick)] = m
	online := len(h.nicks)
	h.mu.Unlock()

	h.lobby.add(m)
	h.log.Info("join", "nick", nick, "fingerprint", guestOr(id.Fingerprint), "addr", id.Addr)

	h.welcome(m, wanted, nick, online)
	h.lobby.announcer.joined(nick)
	return m, nil
}

func (h *Hub) welcome(m *Member, wanted, nick string, online int) {
	for _, line := range strings.Split(h.cfg.MOTD, "\n") {
		if line = sanitize.Text(line); strings.TrimSpace(line) != "" {
			h.notice(m, line)
		}
	}
	switch {
	case wanted == "":
		h.notice(m, fmt.Sprintf("Your user name has no usable characters, so you are %s. Type /nick NAME to change it.", nick))
	case sanitize.FoldNick(wanted) != sanitize.FoldNick(nick):
		h.notice(m, fmt.Sprintf("%s is taken, so you are %s. Type /nick NAME to change it.", wanted, nick))
	}
	h.notice(m, fmt.Sprintf("Welcome to %s, %s! %d online. Type /help for commands.", h.lobby.Name(), nick, online))
}

// freeNickLocked returns wanted if it is free, else the first free
// "wanted_N"; a guest with no usable name becomes Guest-N.
func (h *Hub) freeNickLocked(wanted string) string {
	if wanted == "" {
		for {
			h.guestSeq++
			n := "Guest-" + strconv.Itoa(h.guestSeq)
			if _, taken := h.nicks[sanitize.FoldNick(n)]; !taken {
				return n
			}
		}
	}
	if _, taken := h.nicks[sanitize.FoldNick(wanted)]; !taken {
		return wanted
	}
	for i := 2; ; i++ {
		suffix := "_" + strconv.Itoa(i)
		n := sanitize.Truncate(wanted, sanitize.MaxNickLen-len(suffix)) + suffix
		if _, taken := h.nicks[sanitize.FoldNick(n)]; !taken {
			return n
		}
	}
}

// Handle takes one line typed by m (without its line ending).
func (h *Hub) Handle(m *Member, line string) {
	if len(line) > h.cfg.MaxLine {
		h.notice(m, fmt.Sprintf("Not sent: the line is %d bytes long and the limit is %d.", len(line), h.cfg.MaxLine))
		return
	}
	line = sanitize.Text(line)
	if strings.TrimSpace(line) == "" {
		return
	}
	if name, args, ok := ParseCommand(line); ok {
		h.runCommand(m, name, args)
		return
	}
	line = strings.TrimPrefix(line, "/") // "//text" says "/text"
	h.say(m, &Event{Kind: KindMessage, From: m.Nick(), Text: line})
}

// TooLong tells m that a line was refused for its length. Transports that
// cut over-long lines while reading call it instead of Handle.
func (h *Hub) TooLong(m *Member, length int) {
	h.notice(m, fmt.Sprintf("Not sent: the line is over %d bytes long (the limit is %d).", length, h.cfg.MaxLine))
}

func (h *Hub) say(m *Member, ev *Event) {
	h.mu.Lock()
	room := m.room
	h.mu.Unlock()
	if room == nil {
		return
	}
	h.disconnectOverflowed(room.publish(ev))
}

// Notice shows text to m alone, as a server line.
func (h *Hub) Notice(m *Member, text string) { h.notice(m, sanitize.Text(text)) }

func (h *Hub) notice(m *Member, text string) {
	h.deliver(m, &Event{Kind: KindNotice, Time: h.cfg.Now(), Text: text})
}

func (h *Hub) deliver(m *Member, ev *Event) {
	if !m.out.Push(ev) {
		h.disconnect(m, "outbox overflow")
	}
}

func (h *Hub) disconnectOverflowed(members []*Member) {
	for _, m := range members {
		h.disconnect(m, "outbox overflow")
	}
}

// Disconnect removes m from the hub and cuts their connection at once. The
// server uses it for members whose writes are stuck.
func (h *Hub) Disconnect(m *Member, reason string) { h.disconnect(m, reason) }

func (h *Hub) disconnect(m *Member, reason string) {
	if h.leave(m, reason, true) {
		h.log.Warn("disconnect", "nick", m.Nick(), "addr", m.identity.Addr, "reason", reason)
	}
	m.peer.Disconnect(reason)
}

// Leave removes m from the hub; their Done channel closes so that their
// session can end. It is safe to call more than once.
func (h *Hub) Leave(m *Member, reason string) { h.leave(m, reason, true) }

func (h *Hub) leave(m *Member, reason string, announce bool) (left bool) {
	m.leaveOnce.Do(func() {
		left = true
		h.mu.Lock()
		nick := m.Nick()
		if h.nicks[sanitize.FoldNick(nick)] == m {
			delete(h.nicks, sanitize.FoldNick(nick))
		}
		room := m.room
		m.room = nil
		announce = announce && !h.closing
		h.mu.Unlock()

		if room != nil {
			room.remove(m)
			if announce {
				room.announcer.left(nick)
			}
		}
		m.out.Close()
		m.leaveReason.Store(&reason)
		close(m.done)
		h.log.Info("leave", "nick", nick, "addr", m.identity.Addr, "reason", reason)
	})
	return left
}

// Shutdown tells every member that the server is going down and ends their
// sessions; Join is refused from now on.
func (h *Hub) Shutdown(notice string) {
	h.mu.Lock()
	h.closing = true
	members := make([]*Member, 0, len(h.nicks))
	for _, m := range h.nicks {
		members = append(members, m)
	}
	h.mu.Unlock()
	h.lobby.announcer.stop()
	for _, m := range members {
		h.notice(m, notice)
		h.leave(m, "server shutdown", false)
	}
}

// Close stops the hub's timers. Members still joined are left alone; call
// Shutdown first to end them.
func (h *Hub) Close() { h.lobby.announcer.stop() }

func (h *Hub) lookup(nick string) *Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nicks[sanitize.FoldNick(nick)]
}

func (h *Hub) sortedNicks() []string {
	h.mu.Lock()
	nicks := make([]string, 0, len(h.nicks))
	for _, m := range h.nicks {
		nicks = append(nicks, m.Nick())
	}
	h.mu.Unlock()
	sort.Slice(nicks, func(i, j int) bool { return sanitize.FoldNick(nicks[i]) < sanitize.FoldNick(nicks[j]) })
	return nicks
}

func guestOr(fingerprint string) string {
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
