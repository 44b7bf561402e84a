package chat

import (
	"errors"
	"fmt"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
	"github.com/sshchat/sshchat/sshchat/store"
)

func (h *Hub) cmdMsg(m *Member, args string) {
	to, text := splitWord(args)
	if to == "" || text == "" {
		h.usage(m, "msg")
		return
	}
	h.private(m, to, text)
}

func (h *Hub) cmdReply(m *Member, args string) {
	if args == "" {
		h.usage(m, "reply")
		return
	}
	to := m.replyTo.Load()
	if to == nil {
		h.notice(m, "Nobody has sent you a private message yet.")
		return
	}
	h.private(m, *to, args)
}

// private sends a private message: stored first, then shown to the two of
// them; kept for the owner of the nick if they are away, or if they leave
// before it reaches their screen (see mailbox.go).
func (h *Hub) private(m *Member, to, text string) {
	if h.refuseIfMuted(m) {
		return
	}
	target := h.lookup(to)
	if target == nil {
		if h.privateElsewhere(m, to, text) {
			return
		}
		h.privateOffline(m, to, text)
		return
	}
	h.privateTo(m, target, text)
}

// privateTo sends a private message to someone online.
func (h *Hub) privateTo(m, target *Member, text string) {
	from := m.Nick()
	ev := &Event{Kind: KindPrivate, Time: h.cfg.Now(), From: from, FromKey: m.key(), To: target.Nick(), ToKey: target.key(), Text: text}
	// The sender's own reader waits for the store (bounded), so that
	// what follows depends on the outcome: shown, kept, or refused.
	if err := h.appendPrivate(ev); err != nil {
		h.log.Error("store private message", "err", err)
		h.notice(m, notStored)
		return
	}
	if !target.mail.trackLive(ev) {
		// Their session ended while the message was being stored: it
		// goes to their mailbox, as if they had been away.
		h.keptForAbsent(m, ev, target.key(), target.Nick())
		return
	}
	h.deliver(target, ev)
	if !target.ignores(ev) {
		// A hidden message must not redirect the target's /reply.
		fromNick := from
		target.replyTo.Store(&fromNick)
	}
	if target != m {
		h.deliver(m, &Event{Kind: KindPrivateEcho, Time: ev.Time, From: from, To: ev.To, Text: text})
		if away := target.awayText(); away != "" {
			h.notice(m, fmt.Sprintf("%s is away: %s", target.Nick(), away))
		}
	}
}

// appendPrivate stores ev in the private log and waits for the outcome,
// at most maxPublishWait.
func (h *Hub) appendPrivate(ev *Event) error {
	stored := make(chan error, 1)
	h.store.Append(ev.message(), func(_ uint64, err error) { stored <- err })
	timer := time.NewTimer(maxPublishWait)
	defer timer.Stop()
	select {
	case err := <-stored:
		return err
	case <-timer.C:
		return errors.New("private message: the store did not answer in time")
	}
}

// keptForAbsent keeps ev for toKey, whose session ended as it was sent, and
// tells the sender how it went.
func (h *Hub) keptForAbsent(m *Member, ev *Event, toKey, toNick string) {
	if toKey == "" {
		h.notice(m, fmt.Sprintf("Not sent: %s left.", toNick))
		return
	}
	if err := h.keepOffline(ev, toKey, senderAddr(m)); err != nil {
		h.log.Error("save offline message", "err", err)
		h.notice(m, fmt.Sprintf("Not sent: %s left and the message could not be kept.", toNick))
		return
	}
	h.deliver(m, &Event{Kind: KindPrivateEcho, Time: ev.Time, From: ev.From, To: toNick, Text: ev.Text})
	h.notice(m, fmt.Sprintf("%s just left; your message is kept and will be shown when they connect.", toNick))
}

func (h *Hub) privateOffline(m *Member, to, text string) {
	ctx, cancel := h.ctx()
	defer cancel()
	shown := sanitize.Truncate(to, sanitize.MaxNickLen)
	owner, err := h.store.NickOwner(ctx, to)
	if err != nil || owner == "" {
		h.notice(m, fmt.Sprintf("No one called %s is online.", shown))
		return
	}
	owned, err := h.store.OwnedNick(ctx, owner)
	if err != nil {
		owned = shown
	}
	if other := h.onlineWithKey(owner); other != nil {
		// The owner is here under another nick: the message goes to
		// them now, not to the mailbox (offline_route.go).
		h.notice(m, fmt.Sprintf("%s is online as %s; sent there.", owned, other.Nick()))
		h.privateTo(m, other, text)
		return
	}
	ev := &Event{Kind: KindPrivate, Time: h.cfg.Now(), From: m.Nick(), FromKey: m.key(), To: owned, ToKey: owner, Text: text}
	switch err := h.keepOffline(ev, owner, senderAddr(m)); {
	case errors.Is(err, store.ErrMailboxFull):
		h.notice(m, fmt.Sprintf("%s is offline and already has %d messages waiting; not kept.", owned, store.MaxOffline))
		return
	case errors.Is(err, store.ErrSenderLimit):
		h.notice(m, fmt.Sprintf("%s is offline and already has %d messages from you waiting; not kept.", owned, store.MaxOfflinePerSender))
		return
	case err != nil:
		h.log.Error("save offline message", "err", err)
		h.notice(m, fmt.Sprintf("%s is offline and the message could not be kept; try later.", owned))
		return
	}
	h.deliver(m, &Event{Kind: KindPrivateEcho, Time: ev.Time, From: ev.From, To: owned, Text: text})
	h.notice(m, fmt.Sprintf("%s is offline; your message is kept and will be shown when they connect.", owned))
}

// senderAddr is what a guest's kept messages are counted by (their address,
// without the port; IPv6 by its /64, as every other per-address cap); ""
// for a member with a key, who is counted by key.
func senderAddr(m *Member) string {
	if m.key() != "" {
		return ""
	}
	return addressKey(m.identity.Addr)
}
