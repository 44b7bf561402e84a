package chat

import "github.com/sshchat/sshchat/sshchat/sanitize"

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

// nickTakenLocked reports whether nick is in use by, or looks like the nick
// of, someone online other than m. h.mu is held.
func (h *Hub) nickTakenLocked(nick string, m *Member) bool {
	if other, taken := h.nicks[sanitize.FoldNick(nick)]; taken && other != m {
		return true
	}
	return h.lookalikeLocked(nick, m) != nil
}

// lookalike is lookalikeLocked for callers without h.mu.
func (h *Hub) lookalike(nick string, m *Member) *Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lookalikeLocked(nick, m)
}
