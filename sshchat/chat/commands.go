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
}

// commandOrder is the order in which /help lists the commands.
var commandOrder = []string{"help", "nick", "me", "who", "msg", "quit"}

var commands map[string]*command

// init fills the table: the entries refer to /help, which prints the table.
func init() {
	commands = map[string]*command{
		"help": {usage: "/help", help: "show this list", run: (*Hub).cmdHelp},
		"nick": {usage: "/nick NAME", help: "change your nick", run: (*Hub).cmdNick},
		"me":   {usage: "/me ACTION", help: "say that you do something", run: (*Hub).cmdMe},
		"who":  {usage: "/who", help: "list who is online (also /names)", run: (*Hub).cmdWho},
		"msg":  {usage: "/msg NICK TEXT", help: "send a private message", run: (*Hub).cmdMsg},
		"quit": {usage: "/quit", help: "leave the chat (also /exit, Ctrl-D)", run: (*Hub).cmdQuit},
	}
}

var aliases = map[string]string{"names": "who", "exit": "quit", "w": "who", "m": "msg", "query": "msg"}

func (h *Hub) runCommand(m *Member, name, args string) {
	if real, ok := aliases[name]; ok {
		name = real
	}
	cmd, ok := commands[name]
	if !ok {
		h.notice(m, fmt.Sprintf("Unknown command /%s. Type /help for the list.", sanitize.Truncate(name, 32)))
		return
	}
	cmd.run(h, m, args)
}

func (h *Hub) usage(m *Member, name string) {
	h.notice(m, "Usage: "+commands[name].usage)
}

func (h *Hub) cmdHelp(m *Member, _ string) {
	var b strings.Builder
	b.WriteString("Commands:")
	for _, name := range commandOrder {
		c := commands[name]
		fmt.Fprintf(&b, "\n  %-16s %s", c.usage, c.help)
	}
	b.WriteString("\nStart a line with // to say something that begins with /.")
	for _, line := range strings.Split(b.String(), "\n") {
		h.notice(m, line)
	}
}

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
	h.mu.Lock()
	old := m.Nick()
	if old == wanted {
		h.mu.Unlock()
		h.notice(m, "You are already "+old+".")
		return
	}
	if other, taken := h.nicks[sanitize.FoldNick(wanted)]; taken && other != m {
		h.mu.Unlock()
		h.notice(m, fmt.Sprintf("Not changed: %s is taken.", other.Nick()))
		return
	}
	if h.nicks[sanitize.FoldNick(old)] == m {
		delete(h.nicks, sanitize.FoldNick(old))
	}
	h.nicks[sanitize.FoldNick(wanted)] = m
	m.setNick(wanted)
	room := m.room
	h.mu.Unlock()

	h.log.Info("nick", "old", old, "new", wanted, "addr", m.identity.Addr)
	if room != nil {
		h.disconnectOverflowed(room.publish(&Event{Kind: KindAnnounce, Text: old + " is now known as " + wanted + "."}))
	}
}

func (h *Hub) cmdMe(m *Member, args string) {
	if args == "" {
		h.usage(m, "me")
		return
	}
	h.say(m, &Event{Kind: KindEmote, From: m.Nick(), Text: args})
}

func (h *Hub) cmdWho(m *Member, _ string) {
	nicks := h.sortedNicks()
	h.notice(m, fmt.Sprintf("%d online: %s", len(nicks), strings.Join(nicks, ", ")))
}

func (h *Hub) cmdMsg(m *Member, args string) {
	to, text := splitWord(args)
	if to == "" || text == "" {
		h.usage(m, "msg")
		return
	}
	target := h.lookup(to)
	if target == nil {
		h.notice(m, fmt.Sprintf("No one called %s is online.", sanitize.Truncate(to, sanitize.MaxNickLen)))
		return
	}
	now := h.cfg.Now()
	from := m.Nick()
	h.deliver(target, &Event{Kind: KindPrivate, Time: now, From: from, To: target.Nick(), Text: text})
	if target != m {
		h.deliver(m, &Event{Kind: KindPrivateEcho, Time: now, From: from, To: target.Nick(), Text: text})
	}
}

func (h *Hub) cmdQuit(m *Member, _ string) {
	h.notice(m, "Goodbye!")
	h.leave(m, "quit", true)
}
