package chat

import (
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// BellMode says when a member's terminal bell rings.
type BellMode uint8

const (
	// BellMentions rings for lines that name the member and for private
	// messages (the default).
	BellMentions BellMode = iota
	// BellOn rings for every line someone else says.
	BellOn
	// BellOff never rings.
	BellOff
)

var bellNames = map[BellMode]string{BellMentions: "mentions", BellOn: "on", BellOff: "off"}

// Themes a member can choose with /theme.
const (
	ThemeDefault = "default" // colours
	ThemeMono    = "mono"    // no colour at all
)

// Prefs are how one member wants to see the chat. Keyed members keep them
// across sessions (in the store).
type Prefs struct {
	Theme      string
	Timestamps bool
	Zone       *time.Location // nil: UTC
	Bell       BellMode
}

func defaultPrefs() *Prefs { return &Prefs{Theme: ThemeDefault} }

// Prefs returns the member's current display preferences.
func (m *Member) Prefs() Prefs { return *m.prefs.Load() }

func (m *Member) updatePrefs(change func(*Prefs)) {
	p := m.Prefs()
	change(&p)
	m.prefs.Store(&p)
}

// Render appends ev as m's screen shows it to dst. terminal is true for
// sessions with a pty. Everything shared by all recipients comes from the
// event's cached rendering; only what is personal (a timestamp in their
// time zone, a mention marker, the bell) is added here.
func (m *Member) Render(dst []byte, ev *Event, terminal bool) []byte {
	if m.ignores(ev) {
		return dst
	}
	p := m.prefs.Load()
	style := StylePlain
	if terminal && m.colour && p.Theme != ThemeMono {
		style = StyleANSI
	}
	mentioned := terminal && m.mentioned(ev)
	if terminal && m.rings(ev, p.Bell, mentioned) {
		dst = append(dst, '\a')
	}
	if p.Timestamps && !ev.Replay && !ev.Time.IsZero() {
		zone := p.Zone
		if zone == nil {
			zone = time.UTC
		}
		if style == StyleANSI {
			dst = append(dst, ansiDim...)
		}
		dst = append(dst, '[')
		dst = ev.Time.In(zone).AppendFormat(dst, "15:04")
		dst = append(dst, "] "...)
		if style == StyleANSI {
			dst = append(dst, ansiReset...)
		}
	}
	if mentioned {
		if style == StyleANSI {
			dst = append(dst, "\x1b[1;31m»\x1b[0m "...)
		} else {
			dst = append(dst, "» "...)
		}
	}
	return append(dst, ev.Bytes(style)...)
}

// mentioned reports whether ev is someone else's line that names m as a
// whole word.
func (m *Member) mentioned(ev *Event) bool {
	if ev.Kind != KindMessage && ev.Kind != KindEmote || ev.Replay {
		return false
	}
	if ev.From == m.Nick() {
		return false
	}
	return foundWord(ev.lowerText(), *m.folded.Load())
}

func (m *Member) rings(ev *Event, mode BellMode, mentioned bool) bool {
	if ev.Replay || ev.From == m.Nick() {
		return false
	}
	switch mode {
	case BellOn:
		return ev.Kind == KindMessage || ev.Kind == KindEmote || ev.Kind == KindPrivate
	case BellMentions:
		return ev.Kind == KindPrivate || mentioned
	}
	return false
}

// mentions reports whether text names nick as a whole word, ignoring case.
func mentions(text, nick string) bool {
	return foundWord(sanitize.FoldNick(text), sanitize.FoldNick(nick))
}

// foundWord reports whether want occurs in lower as a whole word; both are
// already folded. It runs for every recipient of every line, so it does
// not allocate: the event folds its text once for all of them.
func foundWord(lower, want string) bool {
	if want == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(lower[i:], want)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(want)
		if !inWord(lower, start-1, -1) && !inWord(lower, end, +1) {
			return true
		}
		i = start + 1
	}
}

// inWord reports whether the byte at i (looking away from the nick in
// direction dir) continues a nick-like word: a nick character, or a '.'
// followed by one ("bob.smith" does not mention bob, "thanks bob." does).
func inWord(s string, i, dir int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	if nickByte(s[i]) {
		return true
	}
	next := i + dir
	return s[i] == '.' && next >= 0 && next < len(s) && nickByte(s[next])
}

func nickByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// ignores reports whether m has chosen not to see ev's author.
func (m *Member) ignores(ev *Event) bool {
	set := m.ignored.Load()
	if set == nil || ev.From == "" {
		return false
	}
	if ev.Kind != KindMessage && ev.Kind != KindEmote && ev.Kind != KindPrivate {
		return false
	}
	return (*set)[ignoreKey(ev.FromKey, ev.From)]
}

// ignoreKey identifies whom to ignore: the key, or the nick of a guest.
func ignoreKey(key, nick string) string {
	if key != "" {
		return key
	}
	return "nick:" + sanitize.FoldNick(nick)
}
