package chat

import (
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
	"github.com/sshchat/sshchat/sshchat/store"
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
	Kind    Kind
	Room    string
	Seq     uint64 // position in Room's order; 0 for events outside a room
	Time    time.Time
	From    string // nick of the author, if any
	FromKey string // the author's key fingerprint; "" for guests and the server
	To      string // nick of the recipient of a private message
	ToKey   string
	Text    string // already sanitized
	// Replay marks a line from history shown again (on joining a room,
	// /history, /search, messages kept while away): it is rendered with
	// its time and set apart from live lines.
	Replay bool
	// accepted is when a room accepted the line (with the monotonic
	// clock), for the fan-out latency histogram; zero for other events.
	accepted time.Time

	mailboxID uint64 // a kept private message's id in its mailbox (see mailbox.go)
	// zone is the time zone of a history line's recipient (replays are
	// copies made for one member); nil: UTC.
	zone *time.Location

	rendered [numStyles]atomic.Pointer[[]byte]
	lower    atomic.Pointer[string] // Text folded to lower case, for mentions
}

// lowerText is Text in lower case, computed once for all recipients.
func (e *Event) lowerText() string {
	if p := e.lower.Load(); p != nil {
		return *p
	}
	l := sanitize.FoldNick(e.Text) // ASCII only, like nicks themselves
	e.lower.CompareAndSwap(nil, &l)
	return *e.lower.Load()
}

// size is what an event costs in an outbox: roughly its rendered length.
func (e *Event) size() int {
	return len(e.Text) + len(e.From) + len(e.To) + 32
}

var kindNames = map[Kind]string{KindMessage: store.KindMsg, KindEmote: store.KindEmote, KindAnnounce: "announce", KindPrivate: store.KindPM}

// message is ev as the store keeps it.
func (e *Event) message() store.Message {
	return store.Message{
		Room: e.Room, Seq: e.Seq, Time: e.Time, Kind: kindNames[e.Kind],
		From: e.From, FromKey: e.FromKey, To: e.To, ToKey: e.ToKey, Text: e.Text,
	}
}

// replayOf turns a stored message back into an event shown as history.
func replayOf(m store.Message) *Event {
	kind := KindMessage
	for k, name := range kindNames {
		if name == m.Kind {
			kind = k
		}
	}
	return &Event{
		Kind: kind, Room: m.Room, Seq: m.Seq, Time: m.Time, From: m.From, FromKey: m.FromKey,
		To: m.To, ToKey: m.ToKey, Text: m.Text, Replay: true, mailboxID: m.MailboxID,
	}
}

// replaysOf turns stored messages back into events shown as history.
func replaysOf(msgs []store.Message) []*Event {
	events := make([]*Event, len(msgs))
	for i, msg := range msgs {
		events[i] = replayOf(msg)
	}
	return events
}

// asReplay is a copy of a live event, marked as history.
func (e *Event) asReplay() *Event {
	return &Event{
		Kind: e.Kind, Room: e.Room, Seq: e.Seq, Time: e.Time, From: e.From, FromKey: e.FromKey,
		To: e.To, ToKey: e.ToKey, Text: e.Text, Replay: true, mailboxID: e.mailboxID,
	}
}

// said reports whether the event is something a person said (a message or
// an emote): what history shows. Announcements are kept in the store, to
// keep one order, but are not replayed.
func (e *Event) said() bool { return e.Kind == KindMessage || e.Kind == KindEmote }

// Said reports whether the event is a message or an emote: something a
// person said in a room.
func (e *Event) Said() bool { return e.said() }

// saidOnly keeps the messages that history shows.
func saidOnly(msgs []store.Message) []store.Message {
	out := msgs[:0]
	for _, m := range msgs {
		if m.Kind == store.KindMsg || m.Kind == store.KindEmote {
			out = append(out, m)
		}
	}
	return out
}
