package chat

import (
	"context"
	"strings"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// Private messages to someone online on another node. A store shared by
// several nodes may say who holds a nick online (onlineHolders); when that
// is another node, the message is stored in the private log first, then
// handed to the bus addressed to that node (ChangePrivate), and the sender
// gets the usual echo. The recipient's node shows it live, tracked until
// written like any live private message (mailbox.go); if the recipient
// left meanwhile, that node keeps it in their mailbox. Nothing is shown
// that was not stored.

// maxRemoteKeeps bounds the goroutines keeping other nodes' private
// messages for people who left this one.
const maxRemoteKeeps = 16

// onlineHolders is the optional capability of a store shared by several
// nodes to name who is online under a nick: the holder a node claimed it
// with (Hub.holder, "<node>/<member>"), "" when nobody is.
type onlineHolders interface {
	OnlineHolder(ctx context.Context, nick string) (string, error)
}

// privateElsewhere sends m's private message to the nick to if someone on
// another node is online under it, and reports whether it did (false: the
// caller treats them as offline).
func (h *Hub) privateElsewhere(m *Member, to, text string) bool {
	p, ok := h.store.(onlineHolders)
	if !ok {
		return false
	}
	ctx, cancel := h.ctx()
	holder, err := p.OnlineHolder(ctx, to)
	var owner string
	if err == nil && holder != "" {
		// The key that owns the nick is where it is kept if the
		// recipient's node can no longer show it ("" for a guest's nick).
		owner, err = h.store.NickOwner(ctx, to)
	}
	cancel()
	if err != nil {
		h.log.Warn("find who is online elsewhere", "nick", to, "err", err)
		return false
	}
	node, _, found := strings.Cut(holder, "/")
	if !found {
		// Guests claim no presence (their numbers are shared): the
		// rosters name their node.
		node = h.nodeOf(to)
	}
	if node == "" || node == h.node {
		return false
	}
	shown := sanitize.Truncate(to, sanitize.MaxNickLen)
	ev := &Event{Kind: KindPrivate, Time: h.cfg.Now(), From: m.Nick(), FromKey: m.key(), To: shown, ToKey: owner, Text: text}
	if err := h.appendPrivate(ev); err != nil {
		h.log.Error("store private message", "err", err)
		h.notice(m, notStored)
		return true
	}
	msg := ev.message()
	msg.ToKey = owner
	msg.FromAddr = senderAddr(m)
	h.cfg.Bus.PublishChange(Change{Kind: ChangePrivate, Private: &msg, ToNode: node, origin: h})
	h.deliver(m, &Event{Kind: KindPrivateEcho, Time: ev.Time, From: ev.From, To: shown, Text: text})
	return true
}

// privateArrived shows a private message another node stored for someone
// online here, or keeps it in their mailbox if they left meanwhile.
func (h *Hub) privateArrived(c Change) {
	if c.Private == nil || c.ToNode != h.node {
		return
	}
	msg := *c.Private
	ev := replayOf(msg)
	ev.Replay = false
	target := h.lookup(msg.To)
	if target != nil && msg.ToKey != "" && target.key() != msg.ToKey {
		target = nil // the nick changed hands: not theirs to read
	}
	if target == nil {
		target = h.onlineWithKey(msg.ToKey)
	}
	if target != nil && target.mail.trackLive(ev) {
		h.deliver(target, ev)
		if !target.ignores(ev) {
			from := msg.From
			target.replyTo.Store(&from)
		}
		return
	}
	if msg.ToKey == "" {
		h.log.Info("private message for a guest who left is not kept", "to", msg.To)
		return
	}
	keep := func() {
		if err := h.keepOffline(ev, msg.ToKey, msg.FromAddr); err != nil {
			h.log.Error("keep a private message for someone who left", "fingerprint", msg.ToKey, "err", err)
		}
	}
	// The store may be slow: the bus's dispatcher does not wait for it,
	// up to maxRemoteKeeps at once; past that it waits (slowing this
	// node's delivery rather than losing the message or piling up
	// goroutines when a flood meets a slow store).
	select {
	case h.remoteKeeps <- struct{}{}:
		h.goBackground("keep a private message for someone who left", func() {
			defer func() { <-h.remoteKeeps }()
			keep()
		})
	default:
		keep()
	}
}

// nodeOf returns the other node whose roster lists nick, "" if none does.
func (h *Hub) nodeOf(nick string) string {
	rs, ok := h.store.(rosterStore)
	if !ok {
		return ""
	}
	fold := sanitize.FoldNick(nick)
	for node, people := range rs.Rosters() {
		for _, p := range people {
			if node != h.node && sanitize.FoldNick(p.Nick) == fold {
				return node
			}
		}
	}
	return ""
}
