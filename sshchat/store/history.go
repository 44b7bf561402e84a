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
	Seq     uint64    // the room's sequence number (assigned by the caller, unique per room); 0 for private
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
// message (Room "") may go through Append too, in the same FIFO order: it
// is kept in a private log, apart from room history (Recent and Search never
// return it), and PruneBefore deletes it with the room lines. A private
// message for an offline owner goes through SaveOffline instead. Append
// refuses a message without Time, a room message with a zero Seq, and a Seq
// already stored for that room (its callback gets the error).
type History interface {
	// Append queues m to be written; committed is called exactly once, with
	// nil once m is durably committed (or the error), from the store's single
	// writer goroutine, in the order Append was called (FIFO across all
	// rooms). Append never blocks on disk I/O and never blocks without
	// bound: with a bounded queue that is full it may wait a bounded time,
	// then calls committed with ErrBusy (document the bound). Concurrent
	// Appends are batched into one transaction (group commit).
	//
	// committed may be nil. It must not block for long: it runs on the
	// writer goroutine and delays every later commit. After Close, committed
	// is called with ErrClosed from the goroutine that called Append.
	Append(m Message, committed func(error))
	// LastSeqs returns the highest Seq stored for every room. It remembers a
	// room's highest Seq even after PruneBefore deleted its lines, so a
	// restarted server never reuses a sequence number.
	LastSeqs(ctx context.Context) (map[string]uint64, error)
	// Recent returns up to limit messages of room with Seq < before
	// (before == 0: no bound), oldest first. These are the newest such
	// messages: Recent(room, 0, 50) is the last 50 lines.
	Recent(ctx context.Context, room string, before uint64, limit int) ([]Message, error)
	// Search returns up to limit messages of room whose text matches query
	// (case-insensitive words; FTS5 if the driver has it, else LIKE), oldest first.
	// Every term of ParseSearch(query) must appear (a word of MinPrefixLen
	// letters or more matches as a prefix: "deploy" finds "deployed"; a
	// shorter one matches whole); the newest limit matches are returned.
	// A query without words returns nothing. Its cost is bounded: it
	// returns ErrSearchTooManyTerms, ErrSearchBusy or ErrSearchTooBroad
	// (wrapped) instead of running long.
	Search(ctx context.Context, room, query string, limit int) ([]Message, error)
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

// ErrBusy is passed to an Append callback when the store could not take the
// message in time (its queue stayed full): nothing was stored.
var ErrBusy = errors.New("store busy: the append queue is full")
