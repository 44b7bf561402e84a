package chat

import (
	"errors"
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
		"kick":   {usage: "/kick NICK [reason]", help: "disconnect someone (all their sessions)", run: (*Hub).cmdKick},
		"ban":    {usage: "/ban NICK|KEY|ip:ADDR[/BITS] [force] [DURATION] [reason]", help: "refuse a key (or an address) for good or for a while", run: (*Hub).cmdBan},
		"unban":  {usage: "/unban KEY|NICK|ip:ADDR", help: "lift a ban", run: (*Hub).cmdUnban},
		"bans":   {usage: "/bans", help: "list bans in force", run: (*Hub).cmdBans},
		"mute":   {usage: "/mute NICK [DURATION] [reason]", help: "stop someone talking", run: (*Hub).cmdMute},
		"unmute": {usage: "/unmute NICK", help: "let them talk again", run: (*Hub).cmdUnmute},
		"op":     {usage: "/op NICK", help: "make someone an operator", run: (*Hub).cmdOp},
		"deop":   {usage: "/deop NICK", help: "take operator rights away", run: (*Hub).cmdDeop},
		"modlog": {usage: "/modlog [N]", help: "show the last N moderation actions", run: (*Hub).cmdModlog},
	} {
		c.op = true
		commands[name] = c
	}
}

// durationHint is what an operator who mistyped a duration is told.
const durationHint = "use 30m, 2h, 7d, 2w"

// splitDuration reads an optional duration at the start of args. A word
// that starts with a digit is meant as a duration: if it is not one
// ("30min", "90", "5x") that is an error, not a reason, so that a typo never
// turns a short ban into a permanent one.
func splitDuration(args string) (d time.Duration, rest string, err error) {
	word, after := splitWord(args)
	if word == "" {
		return 0, "", nil
	}
	if parsed, perr := ParseDuration(word); perr == nil {
		return parsed, after, nil
	}
	if word[0] >= '0' && word[0] <= '9' {
		return 0, args, fmt.Errorf("%s is not a duration: %s", word, durationHint)
	}
	return 0, args, nil
}

// target is who a moderation command names: an online member, a key, or
// both.
type target struct {
	key    string // fingerprint, "" for a guest
	nick   string
	online *Member
}

// label is how the audit trail and /bans name a target: "nick (key)".
func (t target) label() string {
	if t.nick == t.key {
		return t.key
	}
	return t.nick + " (" + KeyOrGuest(t.key) + ")"
}

// resolve finds who arg names: a key fingerprint, an online nick, or a nick
// a key owns. It tells m and reports false when it finds nobody.
func (h *Hub) resolve(m *Member, arg string) (target, bool) {
	if strings.HasPrefix(arg, "SHA256:") {
		t := target{key: arg, nick: h.nickOfKey(arg)}
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

// nickOfKey is the nick to show beside key: who uses it online, else the
// nick it owns, else the key itself.
func (h *Hub) nickOfKey(key string) string {
	for _, other := range h.membersWhere(func(o *Member) bool { return o.key() == key }) {
		return other.Nick()
	}
	ctx, cancel := h.ctx()
	defer cancel()
	if nick, err := h.store.OwnedNick(ctx, key); err == nil && nick != "" {
		return nick
	}
	return key
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

// isSelf reports whether t is m, by key or, for a guest, by session.
func isSelf(m *Member, t target) bool {
	return t.online == m || (t.key != "" && t.key == m.key())
}

// protectedFrom reports whether t's key is in the admins file while m was
// made an operator with /op: those keys are the server's own
// administrators, and only the admins file changes what they may do.
func (h *Hub) protectedFrom(m *Member, t target) bool {
	if t.key == "" {
		return false
	}
	h.mod.mu.RLock()
	defer h.mod.mu.RUnlock()
	return h.mod.fileOps[t.key] && !h.mod.fileOps[m.key()]
}

// sessionsOf returns every session of t: all of its key's members and
// one-shot listeners (tail), or, for a guest, their one session.
func (h *Hub) sessionsOf(t target) []*Member {
	if t.key == "" {
		if t.online != nil {
			return []*Member{t.online}
		}
		return nil
	}
	return h.everyoneWhere(func(o *Member) bool { return o.key() == t.key })
}

func (h *Hub) cmdKick(m *Member, args string) {
	who, reason := splitWord(args)
	if who == "" {
		h.usage(m, "kick")
		return
	}
	var t target
	if other := h.lookup(who); other != nil {
		t = target{key: other.key(), nick: other.Nick(), online: other}
	} else if strings.HasPrefix(who, "SHA256:") {
		t = target{key: who, nick: h.nickOfKey(who)}
	} else if owner := h.ownerOf(who); owner != "" {
		t = target{key: owner, nick: who} // a key whose only session is a tail
	}
	victims := h.sessionsOf(t)
	switch {
	case len(victims) == 0:
		h.notice(m, fmt.Sprintf("No one called %s is online.", who))
		return
	case isSelf(m, t):
		h.notice(m, "Not kicked: that is you. /quit leaves.")
		return
	case h.protectedFrom(m, t):
		h.notice(m, fmt.Sprintf("Not kicked: %s's key is in the admins file.", t.nick))
		return
	}
	h.audit(m, "kick", t.label(), reason)
	h.announceAll(fmt.Sprintf("%s was kicked by %s%s", t.nick, m.Nick(), because(reason)))
	for _, v := range victims {
		h.notice(v, fmt.Sprintf("You were kicked by %s%s", m.Nick(), because(reason)))
		h.ejectFor(v, Kicked, "kicked by "+m.Nick())
	}
}

// ownerOf returns the key that owns nick, or "".
func (h *Hub) ownerOf(nick string) string {
	ctx, cancel := h.ctx()
	defer cancel()
	owner, err := h.store.NickOwner(ctx, nick)
	if err != nil {
		return ""
	}
	return owner
}

func because(reason string) string {
	if reason == "" {
		return "."
	}
	return ": " + Unforgeable(reason)
}

// forceWord is the word after an address that bans it even though it
// covers the operator's own address.
func forceWord(w string) bool { return w == "force" || w == "--force" }

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

func (h *Hub) cmdMute(m *Member, args string) {
	nick, rest := splitWord(args)
	if nick == "" {
		h.usage(m, "mute")
		return
	}
	d, reason, err := splitDuration(rest)
	if err != nil {
		h.notice(m, err.Error()+".")
		return
	}
	t, ok := h.resolve(m, nick)
	if !ok {
		return
	}
	switch {
	case isSelf(m, t):
		h.notice(m, "Not muted: that is you.")
		return
	case h.protectedFrom(m, t):
		h.notice(m, fmt.Sprintf("Not muted: %s's key is in the admins file.", t.nick))
		return
	}
	if muted, until := h.mutedTarget(t); muted {
		span := " for good"
		if !until.IsZero() {
			span = " for another " + formatDuration(until.Sub(h.cfg.Now()).Round(time.Second))
		}
		h.notice(m, fmt.Sprintf("%s is already muted%s; /unmute them first to change it.", t.nick, span))
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
		if err := h.addMute(mute); err != nil {
			h.notice(m, "Not muted: "+err.Error()+".")
			return
		}
	}
	h.audit(m, "mute", t.label(), strings.TrimSpace(span+" "+reason))
	h.notice(m, fmt.Sprintf("%s is muted%s.", t.nick, span))
	for _, v := range h.sessionsOf(t) {
		if !v.hidden {
			h.notice(v, fmt.Sprintf("You were muted by %s%s.", m.Nick(), span))
		}
	}
}

// mutedTarget reports whether t is muted now, and until when.
func (h *Hub) mutedTarget(t target) (bool, time.Time) {
	if t.key == "" {
		return t.online != nil && t.online.mutedGuest.Load(), time.Time{}
	}
	return h.muted(&Member{identity: Identity{Fingerprint: t.key}})
}

var errTooManyMutes = fmt.Errorf("%d mutes are in force, the most this server keeps; lift some with /unmute", maxMutes)

// addMute stores mute and puts it in force, within maxMutes.
func (h *Hub) addMute(mute store.Mute) error {
	h.mod.mu.Lock()
	if len(h.mod.mutes) >= maxMutes {
		h.mod.expireLocked(h.cfg.Now())
	}
	full := len(h.mod.mutes) >= maxMutes
	h.mod.mu.Unlock()
	if full {
		return errTooManyMutes
	}
	ctx, cancel := h.ctx()
	err := h.store.AddMute(ctx, mute)
	cancel()
	if err != nil {
		h.log.Error("store mute", "err", err)
		return errors.New("the mute could not be stored")
	}
	h.mod.mu.Lock()
	h.mod.mutes[mute.Key] = mute
	h.mod.mu.Unlock()
	return nil
}

func (h *Hub) cmdUnmute(m *Member, args string) {
	t, ok := h.oneTarget(m, "unmute", args)
	if !ok {
		return
	}
	if muted, _ := h.mutedTarget(t); !muted {
		h.notice(m, t.nick+" is not muted.")
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
	h.audit(m, "unmute", t.label(), "")
	h.notice(m, t.nick+" may talk again.")
	for _, v := range h.sessionsOf(t) {
		if !v.hidden {
			h.notice(v, "You may talk again.")
		}
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
	fromFile, granted := h.mod.fileOps[t.key], h.mod.storeOps[t.key]
	h.mod.mu.RUnlock()
	switch {
	case !op && fromFile:
		h.notice(m, fmt.Sprintf("%s is an operator through the admins file; remove the key there.", t.nick))
		return
	case op && (fromFile || granted):
		h.notice(m, fmt.Sprintf("%s is already an operator.", t.nick))
		return
	case !op && !granted:
		h.notice(m, fmt.Sprintf("%s is not an operator.", t.nick))
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
	nicks := make(map[string]string) // one look-up per key, however often it appears
	for _, e := range entries {
		target := e.Target
		if strings.HasPrefix(target, "SHA256:") && !strings.Contains(target, " ") {
			// Entries written before targets carried their nick.
			if nicks[target] == "" {
				nicks[target] = h.labelOf(target)
			}
			target = nicks[target]
		}
		line := fmt.Sprintf("  %s %s %s %s", inZone(m, e.Time), e.Actor, e.Action, target)
		if e.Reason != "" {
			line += ": " + e.Reason
		}
		h.notice(m, line)
	}
}
