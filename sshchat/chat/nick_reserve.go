package chat

import (
	"fmt"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// A rename asks the store who owns the new name, which takes time; meanwhile
// the name is reserved for the member renaming, so that a session joining
// under that name cannot take it and leave the store saying one thing and
// the screen another.

// reserveNick holds wanted for m, telling m why when it is in use or
// reserved by someone else. It reports whether m holds it now.
func (h *Hub) reserveNick(m *Member, wanted string) bool {
	folded := sanitize.FoldNick(wanted)
	h.mu.Lock()
	if m.Room() == nil {
		h.mu.Unlock()
		return false // they are leaving
	}
	inUse := ""
	if other := h.nicks[folded]; other != nil && other != m {
		inUse = other.Nick()
	} else if other := h.reserved[folded]; other != nil && other != m {
		inUse = wanted
	}
	if inUse != "" {
		h.mu.Unlock()
		h.notice(m, fmt.Sprintf("Not changed: %s is in use.", inUse))
		return false
	}
	if h.reserved == nil {
		h.reserved = make(map[string]*Member)
	}
	h.reserved[folded] = m
	h.mu.Unlock()
	return true
}

// unreserveNick ends m's hold on wanted, whether or not the rename happened.
func (h *Hub) unreserveNick(m *Member, wanted string) {
	folded := sanitize.FoldNick(wanted)
	h.mu.Lock()
	if h.reserved[folded] == m {
		delete(h.reserved, folded)
	}
	h.mu.Unlock()
}

// nickTakenLocked reports whether someone online other than m uses nick,
// holds it while renaming, or has a nick that looks like it. Call it with
// h.mu held.
func (h *Hub) nickTakenLocked(nick string, m *Member) bool {
	folded := sanitize.FoldNick(nick)
	if other, online := h.nicks[folded]; online && other != m {
		return true
	}
	if other := h.reserved[folded]; other != nil && other != m {
		return true
	}
	return h.lookalikeLocked(nick, m) != nil
}
