package chat

// Removal says why a member's session was ended by the chat, so that the
// transport can tell the client (an ssh exit status a bot can read).
type Removal int32

const (
	// NotRemoved: the member left by themselves (quit, end of input), or
	// the connection went.
	NotRemoved Removal = iota
	// Kicked by an operator.
	Kicked
	// Banned by an operator (their key or address).
	Banned
	// Flooded: disconnected for sending too fast for too long.
	Flooded
	// RoomRemoved: an operator removed the room a one-shot tail watched.
	RoomRemoved
)

// Removal says whether, and why, the chat ended m's session.
func (m *Member) Removal() Removal { return Removal(m.removal.Load()) }

// ejectFor removes m the polite way (see eject), recording why.
func (h *Hub) ejectFor(m *Member, why Removal, reason string) {
	m.removal.CompareAndSwap(int32(NotRemoved), int32(why))
	h.eject(m, reason)
}
