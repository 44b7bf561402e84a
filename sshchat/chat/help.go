package chat

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// This file is /help: one screen, grouped, wrapped at word boundaries to
// the person's width; /help CMD explains one command with examples.

// helpGroups is the order of /help: each group's commands on one line.
var helpGroups = []struct {
	title string
	names []string
}{
	{"You", []string{"nick", "me", "away", "back", "whoami", "quit"}},
	{"People", []string{"msg", "reply", "who", "whois", "ignore", "unignore"}},
	{"Rooms", []string{"join", "part", "rooms", "topic", "history", "search"}},
	{"Catch up", []string{"unread", "markread"}},
	{"Screen", []string{"theme", "timestamp", "tz", "bell", "help"}},
}

// helpDetails explains commands beyond their usage line, with examples.
var helpDetails = map[string][]string{
	"help":      {"/help lists the commands; /help CMD explains one, e.g. /help msg."},
	"nick":      {"Your key then owns the nick: nobody else can take it while you come back now and then.", "Nicks are ASCII letters, digits, _ - . (up to 24), not starting with - .", "Example: /nick alice"},
	"me":        {"Example: /me waves  (shown as: * alice waves)"},
	"msg":       {"A private message. If they are offline it is kept for them (up to 100) and shown at their next login.", "Example: /msg bob lunch at 1?"},
	"reply":     {"Answers whoever sent you the last private message.", "Example: /reply yes"},
	"who":       {"Lists who is here, in this room (also /names). ssh HOST who lists everyone online."},
	"whois":     {"Shows someone's key, room, and since when they are online (in your time zone).", "Example: /whois bob"},
	"join":      {"Goes to a room, creating it if it is new; you see the lines you missed there since your last visit.", "Example: /join #dev"},
	"part":      {"Goes back to the default room."},
	"topic":     {"Without text, shows the topic; with text, sets it.", "Example: /topic release on Friday"},
	"history":   {"Shows the room's last N lines (default 20, at most 500), in your time zone.", "Example: /history 100"},
	"search":    {"Finds lines of this room that contain every word (a word matches as a prefix).", "Example: /search deploy friday"},
	"unread":    {"Lists the rooms with lines you have not seen and how many name you. Your key keeps a read marker per room; guests have none."},
	"markread":  {"Marks every room (or one) as read, so your next login shows nothing from before. Also /mark.", "Example: /markread #dev"},
	"away":      {"Marks you away (here, online) with a reason /whois and /who show.", "Example: /away lunch"},
	"ignore":    {"Hides someone's lines and private messages from you; without a nick, lists whom you ignore. Kept with your key.", "Example: /ignore spammer"},
	"theme":     {"Without a name, shows your theme; themes: default (colours), mono."},
	"timestamp": {"Without on/off, shows the setting; on puts the time (in your zone) before each line."},
	"tz":        {"Without a zone, shows yours. Any case works; times are UTC until you choose.", "Example: /tz Europe/Warsaw", "Example: /tz utc"},
	"bell":      {"Without a mode, shows yours. mentions (default): lines naming you and private messages; on: every line; off: never."},
	"quit":      {"Leaves the chat (also /exit, Ctrl-C, or Ctrl-D on an empty line)."},
	"kick":      {"Disconnects someone; they may come back.", "Example: /kick bob flooding"},
	"ban":       {"Refuses a key (by nick or SHA256 fingerprint) or an address, for good or for a DURATION.", "Durations: 30m 2h 7d 2w. Addresses: ip:ADDR or ip:ADDR/BITS (a network).", "Example: /ban bob 2h spam", "Example: /ban ip:203.0.113.7 7d", "Example: /ban ip:2001:db8::/48 2w"},
	"unban":     {"Example: /unban bob", "Example: /unban ip:203.0.113.7"},
	"mute":      {"Stops someone talking, for good or for a DURATION (30m 2h 7d 2w).", "Example: /mute bob 30m"},
}

// width is the member's terminal width, or 80 without a terminal.
func (m *Member) width() int {
	if f := m.identity.Width; f != nil {
		if w := f(); w > 0 {
			return w
		}
	}
	return 80
}

// noticeWrapped shows text as server lines that fit m's width, broken at
// spaces; continuation lines are indented by indent spaces.
func (h *Hub) noticeWrapped(m *Member, text string, indent int) {
	for _, line := range wrapWords(text, m.width()-len(announcePrefix)-1, indent) {
		h.notice(m, line)
	}
}

// wrapWords breaks text into lines of at most width runes at spaces (a
// word longer than a line is cut). The first line keeps text's leading
// spaces; the others start with indent spaces.
func wrapWords(text string, width, indent int) []string {
	width = max(width, 16)
	indent = min(indent, width/2)
	lead := text[:len(text)-len(strings.TrimLeft(text, " "))]
	var out []string
	var line strings.Builder
	n, empty := 0, true
	start := func() {
		line.Reset()
		pad := indent
		if len(out) == 0 {
			pad = min(len(lead), width/2)
		}
		line.WriteString(strings.Repeat(" ", pad))
		n, empty = pad, true
	}
	start()
	for _, word := range strings.Fields(text) {
		for word != "" {
			w, sep := utf8.RuneCountInString(word), 1
			if empty {
				sep = 0
			}
			switch {
			case n+sep+w <= width:
				if !empty {
					line.WriteByte(' ')
				}
				line.WriteString(word)
				n, empty, word = n+sep+w, false, ""
			case !empty:
				out = append(out, line.String())
				start()
			default: // longer than a whole line: cut it
				r := []rune(word)
				line.WriteString(string(r[:width-n]))
				word = string(r[width-n:])
				out = append(out, line.String())
				start()
			}
		}
	}
	if !empty {
		out = append(out, line.String())
	}
	return out
}

func (h *Hub) cmdHelpTopic(m *Member, args string) {
	if args != "" {
		h.helpOne(m, args)
		return
	}
	h.noticeWrapped(m, "Commands (/help CMD explains one, e.g. /help msg):", 2)
	// On a narrow screen the names alone, so that the list still fits.
	narrow := m.width() < narrowHelp
	entry := func(c *command, name string) string {
		if narrow {
			return "/" + name
		}
		return c.usage
	}
	listed := map[string]bool{}
	for _, g := range helpGroups {
		var us []string
		for _, name := range g.names {
			if c := commands[name]; c != nil {
				us = append(us, entry(c, name))
				listed[name] = true
			}
		}
		h.noticeWrapped(m, fmt.Sprintf("  %s: %s", g.title, strings.Join(us, "  ")), 4)
	}
	var other []string
	for name, c := range commands {
		if !listed[name] && !c.op {
			other = append(other, entry(c, name))
		}
	}
	if len(other) > 0 {
		sort.Strings(other)
		h.noticeWrapped(m, "  Other: "+strings.Join(other, "  "), 4)
	}
	if h.isOperator(m) {
		var ops []string
		for _, name := range moderationOrder {
			ops = append(ops, "/"+name)
		}
		h.noticeWrapped(m, "Operator commands: "+strings.Join(ops, " ")+" (e.g. /help ban)", 2)
	}
	h.noticeWrapped(m, "Keys: Tab completes commands, nicks and #rooms; Up/Down recall lines; Ctrl-L redraws the screen; Ctrl-D leaves.", 2)
	h.noticeWrapped(m, "Scripts: ssh HOST who | say TEXT | tail | history (ssh HOST help shows how).", 2)
	if m.key() == "" {
		h.noticeWrapped(m, "You are a guest: with an SSH key you would own your nick, keep your settings, and catch up on what you missed (read markers).", 2)
	}
	h.noticeWrapped(m, "Start a line with // to say something that begins with /.", 2)
}

// narrowHelp is the width under which /help lists command names without
// their arguments.
const narrowHelp = 60

// helpOne explains one command.
func (h *Hub) helpOne(m *Member, args string) {
	name, _ := splitWord(args)
	name = strings.ToLower(strings.TrimPrefix(name, "/"))
	if real, ok := aliases[name]; ok {
		name = real
	}
	c, ok := commands[name]
	if !ok {
		h.notice(m, fmt.Sprintf("No command /%s. /help lists them.", truncateRunes(name, 32)))
		return
	}
	head := c.usage + ": " + c.help
	if c.op {
		head += " (operators only)"
	}
	h.noticeWrapped(m, head, 2)
	for _, line := range helpDetails[name] {
		h.noticeWrapped(m, "  "+line, 4)
	}
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
