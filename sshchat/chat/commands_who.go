package chat

import (
	"fmt"
	"time"
)

func (h *Hub) cmdWhois(m *Member, args string) {
	nick, extra := splitWord(args)
	if nick == "" || extra != "" {
		h.usage(m, "whois")
		return
	}
	other := h.lookup(nick)
	if other == nil && h.describeElsewhere(m, nick) {
		return // online on another node (whois_remote.go)
	}
	if other == nil {
		h.notice(m, fmt.Sprintf("No one called %s is online.", nick))
		return
	}
	h.describe(m, other)
}

func (h *Hub) cmdWhoami(m *Member, _ string) {
	h.describe(m, m)
	if m.key() == "" {
		h.notice(m, "You are a guest: connect with an SSH key to own a nick.")
		return
	}
	ctx, cancel := h.ctx()
	defer cancel()
	owned, err := h.store.OwnedNick(ctx, m.key())
	switch {
	case err != nil:
		h.notice(m, "Nick ownership cannot be checked right now.")
	case owned == "":
		h.notice(m, "Your key owns no nick. /nick NAME claims one.")
	default:
		h.notice(m, fmt.Sprintf("Your key owns the nick %s.", owned))
	}
}

// describe shows m who other is; operators also see where they connect
// from and with what.
func (h *Hub) describe(m, other *Member) {
	now := h.cfg.Now()
	key := other.key()
	if key == "" {
		key = "guest (no key)"
	}
	room := "(leaving)"
	if r := other.Room(); r != nil {
		room = r.Name()
	}
	idle := now.Sub(time.Unix(0, other.lastActive.Load())).Round(time.Second)
	h.notice(m, fmt.Sprintf("%s: key %s, in %s, connected since %s (%s), idle %s",
		other.Nick(), key, room, inZone(m, other.joined),
		now.Sub(other.joined).Round(time.Second), idle))
	if away := other.awayText(); away != "" {
		h.notice(m, other.Nick()+" is away: "+away)
	}
	if h.isOperator(other) {
		h.notice(m, other.Nick()+" is an operator.")
	}
	if h.isOperator(m) {
		h.notice(m, fmt.Sprintf("%s connects from %s with %s", other.Nick(), other.identity.Addr, other.identity.ClientVersion))
	}
}
