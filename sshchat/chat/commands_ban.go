package chat

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// /ban, /unban and /bans: bans of keys and addresses, timed or for good.

func (h *Hub) cmdBan(m *Member, args string) {
	who, rest := splitWord(args)
	if who == "" {
		h.usage(m, "ban")
		return
	}
	force := false
	if w, after := splitWord(rest); forceWord(w) {
		force, rest = true, after
	}
	d, reason, err := splitDuration(rest)
	if err != nil {
		h.notice(m, err.Error()+".")
		return
	}
	now := h.cfg.Now()
	ban := store.Ban{Reason: reason, By: m.Nick() + " (" + KeyOrGuest(m.key()) + ")", Created: now}
	if d > 0 {
		ban.Expires = now.Add(d)
	}
	var hits func(*Member) bool
	var shown, label string
	if strings.HasPrefix(who, "ip:") {
		p, ok := ipBanPrefix(who)
		if !ok {
			h.notice(m, "Not banned: write the address as ip:203.0.113.7 or ip:203.0.113.0/24.")
			return
		}
		ban.Target = "ip:" + p.String()
		if p.IsSingleIP() {
			ban.Target = "ip:" + p.Addr().String()
		}
		if own, ok := memberAddr(m); ok && p.Contains(own) && !force {
			h.notice(m, fmt.Sprintf("Not banned: %s covers your own address (%s) and would lock you out. To ban it anyway: /ban %s force ...", ban.Target, own, who))
			return
		}
		shown, label = ban.Target, ban.Target
		h.mod.mu.RLock()
		fileOps := h.mod.fileOps
		h.mod.mu.RUnlock()
		hits = func(o *Member) bool {
			a, ok := memberAddr(o)
			return ok && p.Contains(a) && !fileOps[o.key()] // admins-file keys are never refused for their address
		}
	} else {
		t, ok := h.resolve(m, who)
		if !ok {
			return
		}
		switch {
		case t.key == "":
			h.notice(m, fmt.Sprintf("Not banned: %s is a guest without a key; /kick them, or ban their address with ip:ADDR.", t.nick))
			return
		case isSelf(m, t):
			h.notice(m, "Not banned: that is your own key.")
			return
		case h.protectedFrom(m, t):
			h.notice(m, fmt.Sprintf("Not banned: %s's key is in the admins file.", t.nick))
			return
		}
		ban.Target = t.key
		shown, label = t.nick, t.label()
		hits = func(o *Member) bool { return o.key() == t.key }
	}
	h.mod.mu.RLock()
	old, already := h.mod.banLocked(ban.Target, now)
	h.mod.mu.RUnlock()
	if already {
		h.notice(m, fmt.Sprintf("%s is already banned%s; /unban it first to change the ban.", shown, banSpan(old, now)))
		return
	}
	if !h.roomForBan() {
		h.notice(m, fmt.Sprintf("Not banned: %d bans are in force, the most this server keeps; lift some with /unban.", maxBans))
		return
	}
	ctx, cancel := h.ctx()
	err = h.store.AddBan(ctx, ban)
	cancel()
	if err != nil {
		h.log.Error("store ban", "err", err)
		h.notice(m, "Not banned: the ban could not be stored.")
		return
	}
	h.mod.mu.Lock()
	h.mod.addBanLocked(ban)
	h.mod.mu.Unlock()
	h.publishChange(ChangeModeration, "") // every node enforces it
	// Listed only now that the ban is in force: a session admitted a
	// moment ago is caught too, and so are one-shot listeners (tail).
	victims := h.everyoneWhere(hits)
	span := ""
	if d > 0 {
		span = " for " + formatDuration(d)
	}
	h.audit(m, "ban", label, strings.TrimSpace(span+" "+reason))
	h.announceAll(fmt.Sprintf("%s was banned by %s%s%s", shown, m.Nick(), span, because(reason)))
	for _, v := range victims {
		h.notice(v, fmt.Sprintf("You were banned by %s%s%s", m.Nick(), span, because(reason)))
		h.ejectFor(v, Banned, "banned by "+m.Nick())
	}
}

// roomForBan reports whether one more ban fits, dropping expired ones
// first if the table is full.
func (h *Hub) roomForBan() bool {
	h.mod.mu.Lock()
	defer h.mod.mu.Unlock()
	if h.mod.banCountLocked() >= maxBans {
		h.mod.expireLocked(h.cfg.Now())
	}
	return h.mod.banCountLocked() < maxBans
}

// memberAddr is the address m connected from.
func memberAddr(m *Member) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(m.identity.Addr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// banSpan describes how long b lasts: " for good" or " for another 2h".
func banSpan(b store.Ban, now time.Time) string {
	if b.Expires.IsZero() {
		return " for good"
	}
	return " for another " + formatDuration(b.Expires.Sub(now).Round(time.Minute))
}

func (h *Hub) cmdUnban(m *Member, args string) {
	who, extra := splitWord(args)
	if who == "" || extra != "" {
		h.usage(m, "unban")
		return
	}
	targetName := who
	if strings.HasPrefix(who, "ip:") {
		if p, ok := ipBanPrefix(who); ok {
			targetName = "ip:" + p.String()
			if p.IsSingleIP() {
				targetName = "ip:" + p.Addr().String()
			}
		}
	} else if !strings.HasPrefix(who, "SHA256:") {
		t, ok := h.resolve(m, who)
		if !ok {
			return
		}
		targetName = t.key
	}
	ctx, cancel := h.ctx()
	removed, err := h.store.RemoveBan(ctx, targetName)
	cancel()
	if err != nil {
		h.log.Error("remove ban", "err", err)
		h.notice(m, "Not unbanned: the store could not be changed.")
		return
	}
	h.mod.mu.Lock()
	h.mod.removeBanLocked(targetName)
	h.mod.mu.Unlock()
	h.publishChange(ChangeModeration, "")
	if !removed {
		h.notice(m, "No ban of "+who+" is in force.")
		return
	}
	h.audit(m, "unban", h.labelOf(targetName), "")
	h.notice(m, fmt.Sprintf("%s is no longer banned.", who))
}

// labelOf names a ban target for people: "nick (key)" for a key.
func (h *Hub) labelOf(targetName string) string {
	if !strings.HasPrefix(targetName, "SHA256:") {
		return targetName
	}
	return target{key: targetName, nick: h.nickOfKey(targetName)}.label()
}

// maxBansShown bounds the /bans listing: the newest are shown.
const maxBansShown = 50

func (h *Hub) cmdBans(m *Member, _ string) {
	now := h.cfg.Now()
	ctx, cancel := h.ctx()
	bans, err := h.store.Bans(ctx, now)
	cancel()
	if err != nil {
		h.notice(m, "Bans cannot be read right now.")
		return
	}
	if len(bans) == 0 {
		h.notice(m, "No bans in force.")
		return
	}
	h.notice(m, fmt.Sprintf("%d %s in force:", len(bans), plural(len(bans), "ban", "bans")))
	if len(bans) > maxBansShown {
		h.notice(m, fmt.Sprintf("  (the newest %d; %d older are not shown)", maxBansShown, len(bans)-maxBansShown))
		bans = bans[len(bans)-maxBansShown:]
	}
	for _, b := range bans {
		h.notice(m, fmt.Sprintf("  %s%s, by %s%s", h.labelOf(b.Target), banSpan(b, now), b.By, because(b.Reason)))
	}
}
