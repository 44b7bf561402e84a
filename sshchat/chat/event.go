package chat

import (
	"sync/atomic"
	"time"
)

// Kind says what an Event is, which decides how it is rendered.
type Kind uint8

const (
	// KindMessage is a line someone said in a room.
	KindMessage Kind = iota
	// KindEmote is a /me action in a room.
	KindEmote
	// KindAnnounce is a server line shown to a whole room (joins, leaves,
	// renames, shutdown).
	KindAnnounce
	// KindNotice is a server line for one member only (help, errors, /who).
	KindNotice
	// KindPrivate is a private message received from From.
	KindPrivate
	// KindPrivateEcho is the sender's copy of a private message to To.
	KindPrivateEcho
)

// Event is one line of chat as every recipient sees it. Events are immutable
// once published and shared by all recipients; each rendering style is
// computed once and cached, so fan-out to a thousand members renders a line
// once per style, not once per member.
type Event struct {
	Kind Kind
	Room string
	Seq  uint64 // position in Room's order; 0 for events outside a room
	Time time.Time
	From string // nick of the author, if any
	To   string // nick of the recipient of a private message
	Text string // already sanitized

	rendered [numStyles]atomic.Pointer[[]byte]
}

// size is what an event costs in an outbox: roughly its rendered length.
func (e *Event) size() int {
	return len(e.Text) + len(e.From) + len(e.To) + 32
}
