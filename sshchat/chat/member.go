package chat

import (
	"sync"

	"github.com/sshchat/sshchat/sshchat/sanitize"
	"sync/atomic"
	"time"
)

// Peer is what the hub needs from the connection that carries a member.
type Peer interface {
	// Disconnect ends the connection at once. It must not block: it is
	// called for members who stopped reading.
	Disconnect(reason string)
}

// Identity is who a member is, as established by the transport.
type Identity struct {
	// User is the name the person asked for (the SSH user name); it is
	// sanitized into a nick.
	User string
	// Fingerprint is the SHA256 fingerprint of the person's public key, or
	// "" for a guest without a key.
	Fingerprint string
	// Addr is the remote address, for logs and operators.
	Addr string
	// ClientVersion is the client's software version string, sanitized.
	ClientVersion string

	// What the client says about its screen.
	Terminal bool   // a pty: the session shows a line editor
	NoColor  bool   // NO_COLOR was sent, or TERM is dumb
	TZ       string // the client's TZ, if it sent one
	// Bot asks for the plain protocol without history replay, so that
	// bridges do not re-post history.
	Bot bool
	// Width reports the terminal's current width in columns (nil without
	// a pty), so that long answers wrap at word boundaries.
	Width func() int
}

// Member is one person connected to the hub through one session.
type Member struct {
	id       uint64
	identity Identity
	joined   time.Time
	out      *Outbox
	peer     Peer

	nick   atomic.Pointer[string] // written under Hub.mu
	folded atomic.Pointer[string] // sanitize.FoldNick of nick
	room   atomic.Pointer[Room]   // written under Hub.mu

	lastActive atomic.Int64 // unix nanoseconds of the last line typed
	seenStored atomic.Int64 // unix nanoseconds of the last SeenKey stored for the key
	replyTo    atomic.Pointer[string]
	kickReason atomic.Pointer[string]
	removal    atomic.Int32 // a Removal: why the chat ended the session

	// inflight counts the member's lines handed to the store and not yet
	// delivered, so that leaving can wait for them: someone who says a
	// line and leaves sees their own line go out.
	inflight inflightLines

	colour  bool // the screen may show colour
	hidden  bool // a one-shot listener (tail): not listed, not announced
	prefs   atomic.Pointer[Prefs]
	ignored atomic.Pointer[map[string]bool] // copy on write; see ignoreKey
	away    atomic.Pointer[string]

	pacer pacer // used only by the member's reader

	mail mailTracker // private messages on their way to the screen (mailbox.go)

	marks memberMarks // what the member was shown, for read markers (markers.go)

	leaveOnce   sync.Once
	done        chan struct{}
	leaveReason atomic.Pointer[string]
}

// Nick returns the member's current nick.
func (m *Member) Nick() string { return *m.nick.Load() }

// Identity returns who the member is.
func (m *Member) Identity() Identity { return m.identity }

// Outbox is where the member's writer finds what to show them.
func (m *Member) Outbox() *Outbox { return m.out }

// Done is closed when the member has left the hub. Their writer should
// drain the outbox once more, write it, and end the session.
func (m *Member) Done() <-chan struct{} { return m.done }

// LeaveReason says why the member left; it is "" until Done is closed.
func (m *Member) LeaveReason() string {
	if p := m.leaveReason.Load(); p != nil {
		return *p
	}
	return ""
}

func (m *Member) setNick(n string) {
	f := sanitize.FoldNick(n)
	m.folded.Store(&f)
	m.nick.Store(&n)
}

// Room returns the room the member is in, or nil once they have left.
func (m *Member) Room() *Room { return m.room.Load() }

// key is the member's key fingerprint, "" for a guest.
func (m *Member) key() string { return m.identity.Fingerprint }

// cutOff disconnects the member at once without taking any lock; their
// session notices and leaves the hub, with this reason.
func (m *Member) cutOff(reason string) {
	m.kickReason.CompareAndSwap(nil, &reason)
	m.peer.Disconnect(reason)
}
