package chat

import (
	"context"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// Nicks that look alike ("aIice" with a capital I beside "alice") cannot
// both be online: the hub indexes online members by sanitize.Skeleton as
// well as by the case-folded nick. The index is kept with h.nicks, under
// h.mu, in register, leave and /nick.

// lookalikeLocked returns the online member other than m whose nick looks
// like nick, or nil. h.mu is held.
func (h *Hub) lookalikeLocked(nick string, m *Member) *Member {
	if other := h.looks[sanitize.Skeleton(nick)]; other != nil && other != m {
		return other
	}
	return nil
}

// lookalike is lookalikeLocked for callers without h.mu.
func (h *Hub) lookalike(nick string, m *Member) *Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lookalikeLocked(nick, m)
}

// lookalikeStore is what a store may offer so that a nick cannot look like
// one another key owns, whether or not its owner is online. (The SQLite
// store does, with an index; a store without it only has the online check.)
type lookalikeStore interface {
	LookalikeOwner(ctx context.Context, nick, exceptKey string) (owned, key string, err error)
}

// ownedLookalike returns a nick owned by a key other than key that nick
// looks like, or "". A store that cannot tell (or fails) yields "".
func (h *Hub) ownedLookalike(nick, key string) string {
	ls, ok := h.store.(lookalikeStore)
	if !ok {
		return ""
	}
	ctx, cancel := h.ctx()
	defer cancel()
	owned, _, err := ls.LookalikeOwner(ctx, nick, key)
	if err != nil {
		h.log.Error("look up look-alike nicks", "nick", nick, "err", err)
		return ""
	}
	return owned
}

// lookalikeRefusal says why nick cannot be had by key because it looks like
// a nick someone else has, online or owned; "" if it can.
func (h *Hub) lookalikeRefusal(nick, key string, m *Member) string {
	if other := h.lookalike(nick, m); other != nil && sanitize.FoldNick(other.Nick()) != sanitize.FoldNick(nick) {
		return nick + " looks too much like " + other.Nick() + ", who is online"
	}
	if owned := h.ownedLookalike(nick, key); owned != "" && sanitize.FoldNick(owned) != sanitize.FoldNick(nick) {
		return nick + " looks too much like " + owned + ", which another key owns"
	}
	return ""
}
