package chat

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// moderationOrder is the order in which /help lists operator commands.
var moderationOrder = []string{"kick", "ban", "unban", "bans", "mute", "unmute", "op", "deop", "modlog"}

func addModerationCommands() {
	for name, c := range map[string]*command{
		"kick":   {usage: "/kick NICK [reason]", help: "disconnect someone", run: (*Hub).cmdKick},
		"ban":    {usage: "/ban NICK|KEY|ip:ADDR[/BITS] [DURATION] [reason]", help: "refuse a key (or an address) for good or for a while", run: (*Hub).cmdBan},
		"unban":  {usage: "/unban KEY|NICK|ip:ADDR", help: "lift a ban", run: (*Hub).cmdUnban},
		"bans":   {usage: "/bans", help: "list bans in force", run: (*Hub).cmdBans},
		"mute":   {usage: "/mute NICK [DURATION]", help: "stop someone talking", run: (*Hub).cmdMute},
		"unmute": {usage: "/unmute NICK", help: "let them talk again", run: (*Hub).cmdUnmute},
		"op":     {usage: "/op NICK", help: "make someone an operator", run: (*Hub).cmdOp},
		"deop":   {usage: "/deop NICK", help: "take operator rights away", run: (*Hub).cmdDeop},
		"modlog": {usage: "/modlog [N]", help: "show the last N moderation actions", run: (*Hub).cmdModlog},
	} {
		c.op = true
		commands[name] = c
	}
}

// splitDuration reads an optional duration at the start of args.
func splitDuration(args string) (d time.Duration, rest string) {
	word, after := splitWord(args)
	if parsed, err := ParseDuration(word); err == nil {
		return parsed, after
	}
	return 0, args
}

// target is who a moderation command names: an online member, a key, or
// both.
type target struct {
	key    string // fingerprint, "" for a guest
	nick   string
	online *Member
}

// resolve finds who arg names: a key fingerprint, an online nick, or a nick
// a key owns. It tells m and reports false when it finds nobody.
func (h *Hub) resolve(m *Member, arg string) (target, bool) {
	if strings.HasPrefix(arg, "SHA256:") {
		t := target{key: arg, nick: arg}
		for _, other := range h.membersWhere(func(o *Member) bool { return o.key() == arg }) {
			t.online, t.nick = other, other.Nick()
		}
		return t, true
	}
	if other := h.lookup(arg); other != nil {
		return target{key: other.key(), nick: other.Nick(), online: other}, true
	}
	ctx, cancel := h.ctx()
	defer cancel()
	if owner, err := h.store.NickOwner(ctx, arg); err == nil && owner != "" {
		return target{key: owner, nick: arg}, true
	}
	h.notice(m, fmt.Sprintf("No one called %s is online, and no key owns that nick.", arg))
	return target{}, false
}

// oneTarget reads the single NICK or KEY argument of command cmd and
// finds who it names. It answers m itself (usage, or nobody by that name)
// and reports false when there is no one to act on.
func (h *Hub) oneTarget(m *Member, cmd, args string) (target, bool) {
	who, extra := splitWord(args)
	if who == "" || extra != "" {
		h.usage(m, cmd)
		return target{}, false
	}
	return h.resolve(m, who)
}

func (h *Hub) cmdKick(m *Member, args string) {
	nick, reason := splitWord(args)
	if nick == "" {
		h.usage(m, "kick")
		return
	}
	other := h.lookup(nick)
	if other == nil {
		h.notice(m, fmt.Sprintf("No one called %s is online.", nick))
		return
	}
	h.audit(m, "kick", other.Nick()+" ("+KeyOrGuest(other.key())+")", reason)
	h.announceAll(fmt.Sprintf("%s was kicked by %s%s", other.Nick(), m.Nick(), because(reason)))
	h.notice(other, fmt.Sprintf("You were kicked by %s%s", m.Nick(), because(reason)))
	h.eject(other, "kicked by "+m.Nick())
}

func because(reason string) string {
	if reason == "" {
		return "."
	}
	return ": " + reason
}

func (h *Hub) cmdBan(m *Member, args string) {
	who, rest := splitWord(args)
	if who == "" {
		h.usage(m, "ban")
		return
	}
	d, reason := splitDuration(rest)
	now := h.cfg.Now()
	ban := store.Ban{Reason: reason, By: m.Nick() + " (" + KeyOrGuest(m.key()) + ")", Created: now}
	if d > 0 {
		ban.Expires = now.Add(d)
	}
	var hits func(*Member) bool
	var shown string
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
		shown = ban.Target
		hits = func(o *Member) bool {
			ap, err := netip.ParseAddrPort(o.identity.Addr)
			return err == nil && p.Contains(ap.Addr().Unmap())
		}
	} else {
		t, ok := h.resolve(m, who)
		if !ok {
			return
		}
		if t.key == "" {
			h.notice(m, fmt.Sprintf("Not banned: %s is a guest without a key; /kick them, or ban their address with ip:ADDR.", t.nick))
			return
		}
		if t.key == m.key() {
			h.notice(m, "Not banned: that is your own key.")
			return
		}
		ban.Target = t.key
		shown = t.nick
		hits = func(o *Member) bool { return o.key() == t.key }
	}
	ctx, cancel := h.ctx()
	err := h.store.AddBan(ctx, ban)
	cancel()
	if err != nil {
		h.log.Error("store ban", "err", err)
		h.notice(m, "Not banned: the ban could not be stored.")
		return
	}
	h.mod.mu.Lock()
	h.mod.bans[ban.Target] = ban
	h.mod.mu.Unlock()
	// Listed only now that the ban is in force: a session admitted a
	// moment ago is caught too.
	victims := h.membersWhere(hits)
	span := ""
	if d > 0 {
		span = " for " + formatDuration(d)
	}
	h.audit(m, "ban", ban.Target, strings.TrimSpace(span+" "+reason))
	h.announceAll(fmt.Sprintf("%s was banned by %s%s%s", shown, m.Nick(), span, because(reason)))
	for _, v := range victims {
		h.notice(v, fmt.Sprintf("You were banned by %s%s%s", m.Nick(), span, because(reason)))
		h.eject(v, "banned by "+m.Nick())
	}
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
	delete(h.mod.bans, targetName)
	h.mod.mu.Unlock()
	if !removed {
		h.notice(m, "No ban of "+who+" is in force.")
		return
	}
	h.audit(m, "unban", targetName, "")
	h.notice(m, fmt.Sprintf("%s is no longer banned.", who))
}

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
	for _, b := range bans {
		until := "for good"
		if !b.Expires.IsZero() {
			until = "for another " + formatDuration(b.Expires.Sub(now).Round(time.Minute))
		}
		h.notice(m, fmt.Sprintf("  %s %s, by %s%s", b.Target, until, b.By, because(b.Reason)))
	}
}

func (h *Hub) cmdMute(m *Member, args string) {
	nick, rest := splitWord(args)
	if nick == "" {
		h.usage(m, "mute")
		return
	}
	d, _ := splitDuration(rest)
	t, ok := h.resolve(m, nick)
	if !ok {
		return
	}
	span := ""
	if d > 0 {
		span = " for " + formatDuration(d)
	}
	if t.key == "" {
		// A guest has no durable identity: the mute lasts their session.
		t.online.mutedGuest.Store(true)
	} else {
		now := h.cfg.Now()
		mute := store.Mute{Key: t.key, By: m.Nick() + " (" + KeyOrGuest(m.key()) + ")", Created: now}
		if d > 0 {
			mute.Expires = now.Add(d)
		}
		ctx, cancel := h.ctx()
		err := h.store.AddMute(ctx, mute)
		cancel()
		if err != nil {
			h.notice(m, "Not muted: the mute could not be stored.")
			return
		}
		h.mod.mu.Lock()
		h.mod.mutes[t.key] = mute
		h.mod.mu.Unlock()
	}
	h.audit(m, "mute", t.nick+" ("+KeyOrGuest(t.key)+")", strings.TrimSpace(span))
	h.notice(m, fmt.Sprintf("%s is muted%s.", t.nick, span))
	if t.online != nil {
		h.notice(t.online, fmt.Sprintf("You were muted by %s%s.", m.Nick(), span))
	}
}

func (h *Hub) cmdUnmute(m *Member, args string) {
	t, ok := h.oneTarget(m, "unmute", args)
	if !ok {
		return
	}
	if t.online != nil {
		t.online.mutedGuest.Store(false)
	}
	if t.key != "" {
		ctx, cancel := h.ctx()
		_, err := h.store.RemoveMute(ctx, t.key)
		cancel()
		if err != nil {
			h.notice(m, "Not unmuted: the store could not be changed.")
			return
		}
		h.mod.mu.Lock()
		delete(h.mod.mutes, t.key)
		h.mod.mu.Unlock()
	}
	h.audit(m, "unmute", t.nick+" ("+KeyOrGuest(t.key)+")", "")
	h.notice(m, t.nick+" may talk again.")
	if t.online != nil {
		h.notice(t.online, "You may talk again.")
	}
}

func (h *Hub) cmdOp(m *Member, args string)   { h.setOperator(m, args, true) }
func (h *Hub) cmdDeop(m *Member, args string) { h.setOperator(m, args, false) }

func (h *Hub) setOperator(m *Member, args string, op bool) {
	name := "op"
	if !op {
		name = "deop"
	}
	t, ok := h.oneTarget(m, name, args)
	if !ok {
		return
	}
	if t.key == "" {
		h.notice(m, fmt.Sprintf("%s is a guest: only people with a key can be operators.", t.nick))
		return
	}
	h.mod.mu.RLock()
	fromFile := h.mod.fileOps[t.key]
	h.mod.mu.RUnlock()
	if !op && fromFile {
		h.notice(m, fmt.Sprintf("%s is an operator through the admins file; remove the key there.", t.nick))
		return
	}
	ctx, cancel := h.ctx()
	err := h.store.SetOperator(ctx, t.key, op)
	cancel()
	if err != nil {
		h.notice(m, "Not changed: the store could not be changed.")
		return
	}
	h.mod.mu.Lock()
	if op {
		h.mod.storeOps[t.key] = true
	} else {
		delete(h.mod.storeOps, t.key)
	}
	h.mod.mu.Unlock()
	h.audit(m, name, t.nick+" ("+t.key+")", "")
	if op {
		h.announceAll(fmt.Sprintf("%s is now an operator (by %s).", t.nick, m.Nick()))
	} else {
		h.announceAll(fmt.Sprintf("%s is no longer an operator (by %s).", t.nick, m.Nick()))
	}
}

func (h *Hub) cmdModlog(m *Member, args string) {
	n, ok := h.countArg(m, "modlog", args, 20, 200)
	if !ok {
		return
	}
	ctx, cancel := h.ctx()
	entries, err := h.store.AuditLog(ctx, n)
	cancel()
	if err != nil {
		h.notice(m, "The moderation log cannot be read right now.")
		return
	}
	if len(entries) == 0 {
		h.notice(m, "The moderation log is empty.")
		return
	}
	h.notice(m, fmt.Sprintf("Last %d moderation %s:", len(entries), plural(len(entries), "action", "actions")))
	for _, e := range entries {
		line := fmt.Sprintf("  %s %s %s %s", inZone(m, e.Time), e.Actor, e.Action, e.Target)
		if e.Reason != "" {
			line += ": " + e.Reason
		}
		h.notice(m, line)
	}
}
