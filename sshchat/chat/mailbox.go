package chat

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Private messages are at-least-once: a private message is forgotten only
// once the recipient's session has written it to their connection.
//
//   - Messages kept while someone was away stay in the store when they are
//     queued at login; the session's writer reports what it wrote
//     (Hub.Written) and only those are deleted. A session that dies first
//     leaves them for the next login.
//   - A private message to someone online is tracked until written; if
//     their session ends first (or had already ended when the message was
//     stored), it is kept in their mailbox for their next login
//     (Hub.SessionEnded).
//
// A message written just before a connection died may be shown again at the
// next login: a duplicate is better than a loss.

// mailboxReserve is outbox space kept free for live lines while the
// messages kept during an absence are shown.
const mailboxReserve = 16 << 10

// mailTracker is a member's private messages queued to their screen and
// not yet written.
type mailTracker struct {
	pending atomic.Int32 // len(live) + len(kept): the writer's fast path

	mu       sync.Mutex          // a leaf lock (see doc.go): maps only, no I/O
	live     map[*Event]struct{} // private messages delivered live
	kept     map[uint64]struct{} // mailbox ids of kept messages queued at login
	finished bool                // the session ended: track nothing more
}

// trackLive records ev, a live private message about to be queued; it
// reports false once the session has ended (the caller keeps ev instead).
func (t *mailTracker) trackLive(ev *Event) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished {
		return false
	}
	if t.live == nil {
		t.live = make(map[*Event]struct{})
	}
	t.live[ev] = struct{}{}
	t.pending.Add(1)
	return true
}

// trackKept records mailbox ids about to be queued.
func (t *mailTracker) trackKept(ids []uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.kept == nil {
		t.kept = make(map[uint64]struct{}, len(ids))
	}
	for _, id := range ids {
		if _, ok := t.kept[id]; !ok {
			t.kept[id] = struct{}{}
			t.pending.Add(1)
		}
	}
}

// untrackKept forgets mailbox ids that were not queued after all.
func (t *mailTracker) untrackKept(ids []uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		if _, ok := t.kept[id]; ok {
			delete(t.kept, id)
			t.pending.Add(-1)
		}
	}
}

// written forgets the tracked events among events and returns the mailbox
// ids of kept messages among them.
func (t *mailTracker) written(events []*Event) (ids []uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ev := range events {
		if _, ok := t.live[ev]; ok {
			delete(t.live, ev)
			t.pending.Add(-1)
		}
		if ev.mailboxID == 0 {
			continue
		}
		if _, ok := t.kept[ev.mailboxID]; ok {
			delete(t.kept, ev.mailboxID)
			t.pending.Add(-1)
			ids = append(ids, ev.mailboxID)
		}
	}
	return ids
}

// finish stops tracking and returns the live messages never written.
func (t *mailTracker) finish() (unwritten []*Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finished = true
	for ev := range t.live {
		unwritten = append(unwritten, ev)
	}
	t.live, t.kept = nil, nil
	t.pending.Store(0)
	return unwritten
}

// Written is called by m's writer after it has written events to m's
// connection: kept private messages among them are deleted from the
// mailbox, live ones are no longer at risk. It costs one atomic load when
// no private message is on its way.
func (h *Hub) Written(m *Member, events []*Event) {
	if m.mail.pending.Load() == 0 {
		return
	}
	ids := m.mail.written(events)
	if len(ids) == 0 {
		return
	}
	ctx, cancel := h.ctx()
	defer cancel()
	if err := h.store.DeleteOffline(ctx, m.key(), ids); err != nil {
		// They stay kept: shown again at the next login.
		h.log.Error("delete shown offline messages", "fingerprint", m.key(), "err", err)
	}
}

// SessionEnded is called once m's session has stopped writing: private
// messages delivered live but never written are kept in m's mailbox for
// their next login.
func (h *Hub) SessionEnded(m *Member) {
	unwritten := m.mail.finish()
	if len(unwritten) == 0 || m.key() == "" {
		return
	}
	slices.SortFunc(unwritten, func(a, b *Event) int { return a.Time.Compare(b.Time) })
	ctx, cancel := h.ctx()
	defer cancel()
	// Bounded work for a session that was flooded: the mailbox holds
	// store.MaxOffline at most.
	for i, ev := range unwritten {
		if i == store.MaxOffline {
			h.log.Error("unshown private messages not kept: too many", "fingerprint", m.key(), "lost", len(unwritten)-i)
			break
		}
		msg := ev.message()
		msg.ToKey = m.key()
		err := h.store.SaveOffline(ctx, msg)
		if err != nil {
			h.log.Error("keep an unshown private message", "fingerprint", m.key(), "err", err)
		}
		if errors.Is(err, store.ErrMailboxFull) || ctx.Err() != nil {
			if rest := len(unwritten) - i - 1; rest > 0 {
				h.log.Error("unshown private messages not kept", "fingerprint", m.key(), "lost", rest)
			}
			break
		}
	}
}

// deliverOffline queues to a keyed member the private messages kept for
// them while they were away. They stay in the store until the member's
// writer has written them (Written).
func (h *Hub) deliverOffline(m *Member) {
	if m.key() == "" {
		return
	}
	ctx, cancel := h.ctx()
	defer cancel()
	msgs, err := h.store.PeekOffline(ctx, m.key())
	if err != nil {
		h.log.Error("read offline messages", "fingerprint", m.key(), "err", err)
		return
	}
	if len(msgs) == 0 {
		return
	}
	events := replaysOf(msgs)
	ids := make([]uint64, len(events))
	for i, ev := range events {
		ids[i] = ev.mailboxID
	}
	// Tracked before they are queued: the writer may write them at once.
	m.mail.trackKept(ids)
	heading := fmt.Sprintf("%d %s while you were offline:", len(msgs), plural(len(msgs), "message", "messages"))
	left := pushReplay(m, heading, events, m.out.free()-mailboxReserve, messageUnit)
	if left > 0 {
		// The older ones that do not fit now stay kept for the next login.
		m.mail.untrackKept(ids[:left])
		h.notice(m, fmt.Sprintf("The %d older %s are kept for your next login.", left, plural(left, "message", "messages")))
	}
	last := events[len(events)-1].From
	m.replyTo.Store(&last)
}

// keepOffline saves ev, a private message whose recipient is away, in the
// mailbox of the key toKey.
func (h *Hub) keepOffline(ev *Event, toKey, fromAddr string) error {
	ctx, cancel := h.ctx()
	defer cancel()
	msg := ev.message()
	msg.ToKey = toKey
	msg.FromAddr = fromAddr
	return h.store.SaveOffline(ctx, msg)
}
