package chat

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// Names of the preferences kept per key in the store.
const (
	prefTheme     = "theme"
	prefTimestamp = "timestamp"
	prefTZ        = "tz"
	prefBell      = "bell"
)

var themes = []string{ThemeDefault, ThemeMono}

// savedPrefs reads what key saved, once per join: the preferences and the
// ignore list both come from this one read (nil for a guest, or when the
// store fails: then the defaults apply).
func (h *Hub) savedPrefs(key string) map[string]string {
	if key == "" {
		return nil
	}
	ctx, cancel := h.ctx()
	saved, err := h.store.Prefs(ctx, key)
	cancel()
	if err != nil {
		h.log.Error("load preferences", "fingerprint", key, "err", err)
	}
	return saved
}

// prefsFrom builds a member's preferences: what their key saved, then what
// their client says for this session (TZ).
func prefsFrom(id Identity, saved map[string]string) *Prefs {
	p := defaultPrefs()
	if id.Fingerprint != "" {
		if t := saved[prefTheme]; t == ThemeMono || t == ThemeDefault {
			p.Theme = t
		}
		p.Timestamps = saved[prefTimestamp] == "on"
		if loc, err := parseZone(saved[prefTZ]); err == nil {
			p.Zone = loc
		}
		for mode, name := range bellNames {
			if saved[prefBell] == name {
				p.Bell = mode
			}
		}
	}
	if id.TZ != "" {
		if loc, err := parseZone(id.TZ); err == nil {
			p.Zone = loc
		}
	}
	return p
}

// savePref keeps a keyed member's choice for their next sessions.
func (h *Hub) savePref(m *Member, name, value string) {
	if m.key() == "" {
		return
	}
	ctx, cancel := h.ctx()
	defer cancel()
	if err := h.store.SetPref(ctx, m.key(), name, value); err != nil {
		h.log.Error("save preference", "name", name, "err", err)
		return
	}
	h.publishChange(ChangePrefs, m.key()) // the key's sessions on other nodes (prefs_remote.go)
}

func (h *Hub) keptNote(m *Member) string {
	if m.key() == "" {
		return " (for this session: guests' choices are not kept)"
	}
	return ""
}

func (h *Hub) cmdTheme(m *Member, args string) {
	name := strings.ToLower(strings.TrimSpace(args))
	if name == "" {
		h.notice(m, fmt.Sprintf("Themes: %s. Yours is %s. /theme NAME switches.", strings.Join(themes, ", "), m.Prefs().Theme))
		if !m.colour {
			h.notice(m, "Your session shows no colour (no terminal, NO_COLOR, or TERM=dumb).")
		}
		return
	}
	if name != ThemeDefault && name != ThemeMono {
		h.notice(m, fmt.Sprintf("No theme called %s. Themes: %s.", sanitize.Truncate(name, 32), strings.Join(themes, ", ")))
		return
	}
	m.updatePrefs(func(p *Prefs) { p.Theme = name })
	h.savePref(m, prefTheme, name)
	h.notice(m, "Theme: "+name+h.keptNote(m)+".")
}

func (h *Hub) cmdTimestamp(m *Member, args string) {
	var on bool
	switch strings.ToLower(strings.TrimSpace(args)) {
	case "on":
		on = true
	case "off":
	case "":
		h.notice(m, fmt.Sprintf("Timestamps are %s. /timestamp on|off changes it.", map[bool]string{true: "on", false: "off"}[m.Prefs().Timestamps]))
		return
	default:
		h.usage(m, "timestamp")
		return
	}
	m.updatePrefs(func(p *Prefs) { p.Timestamps = on })
	value := map[bool]string{true: "on", false: "off"}[on]
	h.savePref(m, prefTimestamp, value)
	h.notice(m, "Timestamps "+value+h.keptNote(m)+".")
}

func (h *Hub) cmdTZ(m *Member, args string) {
	name := strings.TrimSpace(args)
	if name == "" {
		zone := m.Prefs().Zone
		if zone == nil {
			zone = time.UTC
		}
		h.notice(m, fmt.Sprintf("Your time zone is %s (%s). /tz Europe/Warsaw changes it.", zone, h.cfg.Now().In(zone).Format("15:04 MST")))
		return
	}
	loc, err := parseZone(name)
	if err != nil {
		h.notice(m, fmt.Sprintf("Unknown time zone %q: use a name like Europe/Warsaw, America/New_York or UTC.", sanitize.Truncate(name, 64)))
		return
	}
	m.updatePrefs(func(p *Prefs) { p.Zone = loc })
	h.savePref(m, prefTZ, loc.String())
	h.notice(m, fmt.Sprintf("Time zone: %s, now %s%s.", loc, h.cfg.Now().In(loc).Format("15:04 MST"), h.keptNote(m)))
}

func (h *Hub) cmdBell(m *Member, args string) {
	want := strings.ToLower(strings.TrimSpace(args))
	if want == "" {
		h.notice(m, fmt.Sprintf("Bell: %s. /bell on|off|mentions changes it.", bellNames[m.Prefs().Bell]))
		return
	}
	for mode, name := range bellNames {
		if want == name {
			m.updatePrefs(func(p *Prefs) { p.Bell = mode })
			h.savePref(m, prefBell, name)
			h.notice(m, "Bell: "+name+h.keptNote(m)+".")
			return
		}
	}
	h.usage(m, "bell")
}

func (h *Hub) cmdAway(m *Member, args string) {
	if h.refuseIfMutedAs(m, "Not marked away") {
		return
	}
	reason := Unforgeable(sanitize.Truncate(strings.TrimSpace(args), 200))
	if reason == "" {
		reason = "away"
	}
	m.away.Store(&reason)
	h.notice(m, "You are marked away ("+reason+"). /back when you return.")
}

func (h *Hub) cmdBack(m *Member, _ string) {
	if m.away.Swap(nil) == nil {
		h.notice(m, "You were not away.")
		return
	}
	h.notice(m, "Welcome back.")
}

// awayText returns why m is away, or "".
func (m *Member) awayText() string {
	if p := m.away.Load(); p != nil {
		return *p
	}
	return ""
}

func (h *Hub) cmdIgnore(m *Member, args string) {
	nick, extra := splitWord(args)
	if extra != "" {
		h.usage(m, "ignore")
		return
	}
	if nick == "" {
		h.listIgnored(m)
		return
	}
	if refusal := checkIgnoreTarget(nick); refusal != "" {
		h.notice(m, refusal)
		return
	}
	t, ok := h.resolve(m, nick)
	if !ok {
		return
	}
	if t.online == m || (t.key != "" && t.key == m.key()) {
		h.notice(m, "You cannot ignore yourself.")
		return
	}
	entry := ignoreKey(t.key, t.nick)
	refusal := h.editIgnored(m, func(set map[string]bool) string {
		if set[entry] {
			return fmt.Sprintf("You already ignore %s.", t.nick)
		}
		if len(set) >= MaxIgnored {
			return ignoreListFullText
		}
		set[entry] = true
		return ""
	})
	if refusal != "" {
		h.notice(m, refusal)
		return
	}
	h.notice(m, fmt.Sprintf("Ignoring %s: you will not see their lines or private messages. /unignore %s undoes it.", t.nick, t.nick))
}

func (h *Hub) cmdUnignore(m *Member, args string) {
	t, ok := h.oneTarget(m, "unignore", args)
	if !ok {
		return
	}
	entry := ignoreKey(t.key, t.nick)
	refusal := h.editIgnored(m, func(set map[string]bool) string {
		if !set[entry] {
			return fmt.Sprintf("You are not ignoring %s.", t.nick)
		}
		delete(set, entry)
		return ""
	})
	if refusal != "" {
		h.notice(m, refusal)
		return
	}
	h.notice(m, "No longer ignoring "+t.nick+".")
}

func (h *Hub) listIgnored(m *Member) {
	cur := m.ignored.Load()
	if cur == nil || len(*cur) == 0 {
		h.notice(m, "You ignore nobody. /ignore NICK hides someone's lines from you.")
		return
	}
	var names []string
	for k := range *cur {
		name := strings.TrimPrefix(k, "nick:")
		for _, other := range h.Members() {
			if ignoreKey(other.key(), other.Nick()) == k {
				name = other.Nick()
			}
		}
		names = append(names, name)
	}
	sort.Strings(names)
	h.notice(m, "You ignore: "+strings.Join(names, ", "))
}
