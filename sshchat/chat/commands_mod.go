package chat

import (
	"fmt"
	"strings"
	"time"
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

func (h *Hub) cmdOp(m *Member, args string) { h.setOperator(m, args, true) }

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
	h.publishChange(ChangeModeration, "")
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
