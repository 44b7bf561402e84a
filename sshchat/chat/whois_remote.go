package chat

import (
	"fmt"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// People on the other nodes for /whois and the "(N here)" of join and
// leave lines, read from the rosters a store shared by several nodes keeps
// in memory (roster.go), never from the network on a command's or a
// join's path. A roster is at most a second old (rosterInterval), so
// someone who just joined another node may be missing from it for that
// long. On one node (no roster in the store) both are what they were.

// roomCounter is the optional capability of a roster store to count the
// people of one room on the other nodes without copying every roster.
type roomCounter interface {
	// RoomPeople counts the people in room (any case) on every node but
	// exceptNode, from memory.
	RoomPeople(room, exceptNode string) int
}

// hereElsewhere counts the people in room on the other nodes; 0 on one
// node.
func (h *Hub) hereElsewhere(room string) int {
	if rc, ok := h.store.(roomCounter); ok {
		return rc.RoomPeople(room, h.node)
	}
	return 0
}

// describeElsewhere shows m who nick is if they are online on another
// node, and reports whether they are. What only their node knows (how
// long they have been idle; for operators, their address and client) is
// said to be unknown here.
func (h *Hub) describeElsewhere(m *Member, nick string) bool {
	fold := sanitize.FoldNick(nick)
	for _, p := range h.elsewhere() {
		if sanitize.FoldNick(p.Nick) != fold {
			continue
		}
		key := p.Key
		if key == "" {
			key = "guest (no key)"
		}
		since := "connected earlier"
		if !p.Since.IsZero() {
			since = fmt.Sprintf("connected since %s (%s)", inZone(m, p.Since), h.cfg.Now().Sub(p.Since).Round(time.Second))
		}
		h.notice(m, fmt.Sprintf("%s: key %s, in %s, %s, on another node (idle time not known here)", p.Nick, key, p.Room, since))
		if p.Away != "" {
			h.notice(m, p.Nick+" is away: "+p.Away)
		}
		if h.isOperatorKey(p.Key) {
			h.notice(m, p.Nick+" is an operator.")
		}
		if h.isOperator(m) {
			h.notice(m, p.Nick+"'s address and client are known only on their node.")
		}
		return true
	}
	return false
}
