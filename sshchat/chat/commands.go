package chat

import (
	"fmt"
	"strings"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// command is one thing a member can type after "/".
type command struct {
	usage string // shown by /help and on wrong arguments
	help  string
	run   func(h *Hub, m *Member, args string)
	op    bool // operators only
}

// commandOrder is the order in which /help lists the commands.
var commandOrder = []string{
	"help", "nick", "me", "msg", "reply", "who", "whois", "whoami",
	"join", "part", "rooms", "topic", "history", "search",
	"unread", "markread", "away", "back", "ignore", "unignore", "theme", "timestamp", "tz", "bell", "quit",
}

var commands map[string]*command

// init fills the table: the entries refer to /help, which prints the table.
func init() {
	commands = map[string]*command{
		"help":    {usage: "/help", help: "show this list", run: (*Hub).cmdHelp},
		"nick":    {usage: "/nick NAME", help: "change your nick (your key then owns it)", run: (*Hub).cmdNick},
		"me":      {usage: "/me ACTION", help: "say that you do something", run: (*Hub).cmdMe},
		"msg":     {usage: "/msg NICK TEXT", help: "private message (kept for them if they are offline)", run: (*Hub).cmdMsg},
		"reply":   {usage: "/reply TEXT", help: "answer the last private message", run: (*Hub).cmdReply},
		"who":     {usage: "/who", help: "who is in this room (also /names)", run: (*Hub).cmdWho},
		"whois":   {usage: "/whois NICK", help: "who someone is", run: (*Hub).cmdWhois},
		"whoami":  {usage: "/whoami", help: "who you are, and the nick your key owns", run: (*Hub).cmdWhoami},
		"join":    {usage: "/join #ROOM", help: "go to a room (it is created if new)", run: (*Hub).cmdJoin},
		"part":    {usage: "/part", help: "go back to the default room", run: (*Hub).cmdPart},
		"rooms":   {usage: "/rooms", help: "list rooms", run: (*Hub).cmdRooms},
		"topic":   {usage: "/topic [TEXT]", help: "show or set the room's topic", run: (*Hub).cmdTopic},
		"history": {usage: "/history [N]", help: "show the room's last N lines", run: (*Hub).cmdHistory},
		"search":  {usage: "/search TEXT", help: "find lines in this room", run: (*Hub).cmdSearch},
		"quit":    {usage: "/quit", help: "leave the chat (also /exit, Ctrl-D)", run: (*Hub).cmdQuit},

		"away":      {usage: "/away [REASON]", help: "say you are away", run: (*Hub).cmdAway},
		"back":      {usage: "/back", help: "say you are back", run: (*Hub).cmdBack},
		"ignore":    {usage: "/ignore [NICK]", help: "hide someone's lines from you (or list whom)", run: (*Hub).cmdIgnore},
		"unignore":  {usage: "/unignore NICK", help: "see their lines again", run: (*Hub).cmdUnignore},
		"theme":     {usage: "/theme [NAME]", help: "list or switch colour themes", run: (*Hub).cmdTheme},
		"timestamp": {usage: "/timestamp [on|off]", help: "show the time of each line", run: (*Hub).cmdTimestamp},
		"tz":        {usage: "/tz [ZONE]", help: "your time zone, e.g. Europe/Warsaw", run: (*Hub).cmdTZ},
		"bell":      {usage: "/bell [on|off|mentions]", help: "when your terminal bell rings", run: (*Hub).cmdBell},
	}
	addModerationCommands()
	addResourceCommands()
	addCatchUpCommands()
}

var aliases = map[string]string{"names": "who", "exit": "quit", "w": "who", "m": "msg", "query": "msg", "r": "reply", "leave": "part", "j": "join"}

func (h *Hub) runCommand(m *Member, name, args string) {
	if real, ok := aliases[name]; ok {
		name = real
	}
	cmd, ok := commands[name]
	if !ok {
		h.notice(m, fmt.Sprintf("Unknown command /%s. Type /help for the list.", sanitize.Truncate(name, 32)))
		return
	}
	if cmd.op && !h.isOperator(m) {
		h.notice(m, fmt.Sprintf("/%s: not permitted (operators only).", name))
		return
	}
	cmd.run(h, m, args)
}

func (h *Hub) usage(m *Member, name string) {
	h.notice(m, "Usage: "+commands[name].usage)
}

func (h *Hub) cmdHelp(m *Member, args string) { h.cmdHelpTopic(m, args) } // help.go

func (h *Hub) cmdNick(m *Member, args string) {
	wanted, extra := splitWord(args)
	if wanted == "" || extra != "" {
		h.usage(m, "nick")
		return
	}
	if err := sanitize.ValidNick(wanted); err != nil {
		h.notice(m, "Not changed: "+err.Error()+".")
		return
	}
	old := m.Nick()
	if old == wanted {
		h.notice(m, "You are already "+old+".")
		return
	}
	if guestShaped(wanted) {
		h.notice(m, "Not changed: names starting with Guest- are given to guests without a key.")
		return
	}
	if h.refuseIfMutedAs(m, "Not changed") {
		return
	}
	if refusal := h.lookalikeRefusal(wanted, m.key(), m); refusal != "" {
		h.notice(m, "Not changed: "+refusal+".")
		return
	}
	// Hold the name first, then ask the store: ownership moves only for
	// a rename that will happen, and nobody can start using the name in
	// between (a refused rename changes nothing).
	if !h.reserveNick(m, wanted) {
		return
	}
	defer h.unreserveNick(m, wanted)
	// Ownership: a keyed member's new nick becomes theirs (and the old one
	// is released); nobody takes a nick another key owns.
	ctx, cancel := h.ctx()
	var owner string
	var err error
	borrowOnly := h.firstClaimRefused(ctx, m)
	if m.key() != "" && borrowOnly == "" {
		owner, err = h.store.ClaimNick(ctx, wanted, m.key())
	} else {
		owner, err = h.store.NickOwner(ctx, wanted)
	}
	cancel()
	// A refusal gives the name back before saying so: whoever reads the
	// answer and tries the name next must not find it still held.
	if err != nil {
		h.log.Error("claim nick", "nick", wanted, "err", err)
		h.unreserveNick(m, wanted)
		h.notice(m, "Not changed: nicks cannot be checked right now.")
		return
	}
	if owner != "" && owner != m.key() {
		h.unreserveNick(m, wanted)
		h.notice(m, fmt.Sprintf("Not changed: %s belongs to someone else's key.", wanted))
		return
	}
	if len(h.claimOnline(m, []string{wanted})) == 0 {
		h.unreserveNick(m, wanted)
		h.notice(m, fmt.Sprintf("Not changed: %s is in use.", wanted))
		return
	}
	renamed := false
	defer func() {
		// The name given back: the old one after a rename, else the new.
		if renamed {
			h.releaseOnline(m, []string{old}, wanted)
		} else {
			h.releaseOnline(m, []string{wanted}, m.Nick())
		}
	}()

	h.mu.Lock()
	if m.Room() == nil {
		h.mu.Unlock() // they left while the store was asked
		return
	}
	if other := h.lookalikeLocked(wanted, m); other != nil {
		h.mu.Unlock()
		h.notice(m, fmt.Sprintf("Not changed: %s looks too much like %s, who is online.", wanted, other.Nick()))
		return
	}
	old = m.Nick()
	if h.nicks[sanitize.FoldNick(old)] == m {
		delete(h.nicks, sanitize.FoldNick(old))
	}
	if h.looks[sanitize.Skeleton(old)] == m {
		delete(h.looks, sanitize.Skeleton(old))
	}
	h.nicks[sanitize.FoldNick(wanted)] = m
	h.looks[sanitize.Skeleton(wanted)] = m
	m.setNick(wanted)
	renamed = true
	room := m.Room()
	h.mu.Unlock()

	h.log.Info("nick", "old", old, "new", wanted, "addr", m.identity.Addr)
	if borrowOnly != "" {
		h.notice(m, fmt.Sprintf("Your key does not own %s: %s.", wanted, borrowOnly))
	}
	if room != nil {
		room.publish(&Event{Kind: KindAnnounce, Text: old + " is now known as " + wanted + "."}, &m.inflight)
	}
}

func (h *Hub) cmdMe(m *Member, args string) {
	if args == "" {
		h.usage(m, "me")
		return
	}
	h.say(m, &Event{Kind: KindEmote, From: m.Nick(), FromKey: m.key(), Text: args})
}

func (h *Hub) cmdWho(m *Member, _ string) {
	room := m.Room()
	if room == nil {
		return
	}
	var here []string
	for _, other := range h.Members() {
		if other.Room() == room && !other.hidden {
			name := other.Nick()
			if away := other.awayText(); away != "" {
				name += " (away: " + away + ")"
			}
			here = append(here, name)
		}
	}
	// People in this room on the other nodes too (roster.go).
	for _, other := range h.elsewhere() {
		if FoldRoom(other.Room) == FoldRoom(room.Name()) {
			name := other.Nick
			if other.Away != "" {
				name += " (away: " + other.Away + ")"
			}
			here = append(here, name)
		}
	}
	h.notice(m, fmt.Sprintf("%d in %s: %s", len(here), room.Name(), strings.Join(here, ", ")))
}

func (h *Hub) cmdQuit(m *Member, _ string) {
	h.notice(m, "Goodbye!")
	h.LeaveAfterDelivery(m, "quit")
}

// CommandNames lists the commands m may type, without "/", for completion.
func (h *Hub) CommandNames(m *Member) []string {
	op := h.isOperator(m)
	names := make([]string, 0, len(commands)+len(aliases))
	for name, c := range commands {
		if !c.op || op {
			names = append(names, name)
		}
	}
	for alias, name := range aliases {
		if c := commands[name]; c != nil && (!c.op || op) {
			names = append(names, alias)
		}
	}
	return names
}

// RoomNames lists the rooms, for completion.
func (h *Hub) RoomNames() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := make([]string, 0, len(h.rooms))
	for _, r := range h.rooms {
		names = append(names, r.Name())
	}
	return names
}

// Nicks lists the people online, for completion.
func (h *Hub) Nicks() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	nicks := make([]string, 0, len(h.nicks))
	for _, m := range h.nicks {
		nicks = append(nicks, m.Nick())
	}
	return nicks
}
