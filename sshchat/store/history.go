package store

import (
	"context"
	"errors"
	"time"
)

// Message kinds.
const (
	KindMsg   = "msg"
	KindEmote = "emote"
	KindPM    = "pm"
)

// Message is one stored line: a room message/emote, or a private message.
type Message struct {
	Room    string    // "#lobby"; "" for a private message
	Seq     uint64    // the room's sequence number (assigned by the store on Append, unique per room); 0 for private
	Time    time.Time // server time (stored with at least millisecond precision, UTC)
	Kind    string    // "msg", "emote", "pm"
	From    string    // author nick at the time
	FromKey string    // author key fingerprint "SHA256:..." or "" for a guest
	To      string    // recipient nick (private messages)
	ToKey   string    // recipient key fingerprint (private messages)
	Text    string
	// FromAddr is a guest sender's address (host, no port) for a kept
	// private message: guests are counted by address against
	// MaxOfflinePerSender. "" for senders with a key.
	FromAddr string
	// MailboxID identifies a kept private message in its recipient's
	// mailbox (set by PeekOffline, for DeleteOffline); 0 otherwise.
	MailboxID uint64
}

// History keeps room lines in order and private messages for offline owners.
//
// Room lines go through Append (asynchronous, group-committed). A private
// message (Room "") may go through Append too, in the same order: it
// is kept in a private log, apart from room history (Recent and Search never
// return it), and PruneBefore deletes it with the room lines. A private
// message for an offline owner goes through SaveOffline instead. Append
// refuses a message without Time.
//
// The store assigns a room's sequence numbers: a room message appended
// with Seq 0 gets the room's next one (one above the highest ever stored
// for that room, also after PruneBefore or DeleteRoom), in the order the
// lines are committed, so the sequence is the room's one order on every
// node. A message with a Seq set keeps it (imports, tests) and is refused
// if that Seq is already stored for the room.
type History interface {
	// Append queues m to be written; committed is called exactly once, with
	// m's sequence number (0 for a private message) and nil once m is
	// durably committed, or with the error, from the store's writer, in
	// order per room: two lines of one room are called back in the order
	// of their sequence numbers, which is the order Append was called
	// (one caller at a time per room). Append never blocks on disk I/O and never blocks without
	// bound: with a bounded queue that is full it may wait a bounded time,
	// then calls committed with ErrBusy (document the bound). Concurrent
	// Appends are batched into one transaction (group commit).
	//
	// committed may be nil. It must not block for long: it runs on the
	// writer goroutine and delays every later commit. After Close, committed
	// is called with ErrClosed from the goroutine that called Append.
	Append(m Message, committed func(seq uint64, err error))
	// LastSeqs returns the highest Seq stored for every room. It remembers a
	// room's highest Seq even after PruneBefore deleted its lines, so a
	// restarted server never reuses a sequence number.
	LastSeqs(ctx context.Context) (map[string]uint64, error)
	// Recent returns up to limit messages of room with Seq < before
	// (before == 0: no bound), oldest first. These are the newest such
	// messages: Recent(room, 0, 50) is the last 50 lines.
	Recent(ctx context.Context, room string, before uint64, limit int) ([]Message, error)
	// PruneBefore deletes room messages older than t and returns how many
	// (private messages appended before t are deleted too, and counted).
	PruneBefore(ctx context.Context, t time.Time) (int64, error)
	// SaveOffline keeps a private message for a key whose owner is offline
	// (written synchronously, durable on return). m.ToKey must be set. It
	// keeps nothing and returns ErrMailboxFull when MaxOffline messages are
	// already kept for that key, or ErrSenderLimit when MaxOfflinePerSender
	// of them come from the same sender (m.FromKey; for a guest, "" and
	// m.FromAddr).
	SaveOffline(ctx context.Context, m Message) error
	// PeekOffline returns the private messages kept for toKey, oldest
	// first, each with its MailboxID, and keeps them: they are deleted
	// only once they have been shown (DeleteOffline), so a session that
	// dies before showing them loses nothing.
	PeekOffline(ctx context.Context, toKey string) ([]Message, error)
	// DeleteOffline deletes the messages with these MailboxIDs from
	// toKey's mailbox (ids of other mailboxes are ignored).
	DeleteOffline(ctx context.Context, toKey string, ids []uint64) error
}

// MaxOffline is how many private messages are kept for one key while its
// owner is away: enough for a long absence, few enough that a flood of them
// fits in one screenful of the owner's outbox when they return.
const MaxOffline = 100

// MaxOfflinePerSender is how many of those one sender may leave (a key, or
// a guest's address): one sender cannot fill someone's mailbox and have
// their friends' messages refused.
const MaxOfflinePerSender = 20

// ErrMailboxFull is SaveOffline's answer when MaxOffline messages wait.
var ErrMailboxFull = errors.New("mailbox full")

// ErrSenderLimit is SaveOffline's answer when MaxOfflinePerSender messages
// from the same sender wait.
var ErrSenderLimit = errors.New("too many messages from this sender waiting")

// OfflineToKeep is m as a mailbox keeps it: its time in UTC, and no
// address for a sender with a key (a key is counted by key, whatever its
// address). It refuses a message without a recipient key.
func OfflineToKeep(m Message) (Message, error) {
	if m.ToKey == "" {
		return m, errors.New("save private message: no recipient key")
	}
	if m.FromKey != "" {
		m.FromAddr = ""
	}
	m.Time = m.Time.UTC()
	return m, nil
}

// OfflineAdmitted reports whether a mailbox holding kept may take m (as
// OfflineToKeep made it): ErrMailboxFull or ErrSenderLimit if not. For
// stores that hold a key's mailbox as one list.
func OfflineAdmitted(kept []Message, m Message) error {
	if len(kept) >= MaxOffline {
		return ErrMailboxFull
	}
	from := 0
	for _, k := range kept {
		if k.FromKey == m.FromKey && k.FromAddr == m.FromAddr {
			from++
		}
	}
	if from >= MaxOfflinePerSender {
		return ErrSenderLimit
	}
	return nil
}

// ErrBusy is passed to an Append callback when the store could not take the
// message in time (its queue stayed full): nothing was stored.
var ErrBusy = errors.New("store busy: the append queue is full")
