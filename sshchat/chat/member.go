package chat

import (
	"sync"
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
}

// Member is one person connected to the hub through one session.
type Member struct {
	id       uint64
	identity Identity
	joined   time.Time
	out      *Outbox
	peer     Peer

	nick atomic.Pointer[string] // written under Hub.mu
	room *Room                  // guarded by Hub.mu

	pacer *pacer // used only by the member's reader

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

func (m *Member) setNick(n string) { m.nick.Store(&n) }
