package chat

import (
	"fmt"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// This file is time zones: every time shown to a person is in their zone
// (/tz, kept per key, or the TZ their client sent), UTC when they chose
// none.

// zone is the member's time zone.
func (m *Member) zone() *time.Location {
	if p := m.prefs.Load(); p != nil && p.Zone != nil {
		return p.Zone
	}
	return time.UTC
}

// replayZone is the zone a history line is shown in: its recipient's.
func (e *Event) replayZone() *time.Location {
	if e.zone != nil {
		return e.zone
	}
	return time.UTC
}

// replayFor is ev as history for m: a copy that carries m's time zone.
func replayFor(m *Member, ev *Event) *Event {
	r := ev.asReplay()
	r.zone = m.zone()
	return r
}

// maxZoneName bounds what parseZone looks up.
const maxZoneName = 64

// parseZone reads a time zone name the way people type it: any case
// ("utc", "europe/warsaw"), a leading ':' as in the TZ variable, "Z" and
// "GMT" for UTC.
func parseZone(name string) (*time.Location, error) {
	name = strings.TrimPrefix(strings.TrimSpace(name), ":")
	if name == "" || len(name) > maxZoneName || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil, fmt.Errorf("unknown time zone %q", sanitize.Truncate(name, maxZoneName))
	}
	switch strings.ToUpper(name) {
	case "UTC", "Z", "GMT", "ETC/UTC", "UNIVERSAL", "ZULU":
		return time.UTC, nil
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc, nil
	}
	// The zone database is case-sensitive: try the usual capitalization
	// of each part ("america/new_york" is America/New_York).
	if loc, err := time.LoadLocation(capitalizeZone(name)); err == nil {
		return loc, nil
	}
	if loc, err := time.LoadLocation(strings.ToUpper(name)); err == nil {
		return loc, nil // EST, CET, MST7MDT...
	}
	return nil, fmt.Errorf("unknown time zone %q", sanitize.Truncate(name, maxZoneName))
}

// capitalizeZone upper-cases the first letter of each word of a zone name
// and lower-cases the rest.
func capitalizeZone(name string) string {
	b := []byte(strings.ToLower(name))
	start := true
	for i, c := range b {
		if start && 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
		start = c == '/' || c == '_' || c == '-'
	}
	return string(b)
}

// zoneNotice tells a joining member whose client sent a TZ this server
// cannot read that it was not used, and which zone times are shown in.
func (h *Hub) zoneNotice(m *Member) {
	tz := m.identity.TZ
	if tz == "" {
		return
	}
	if _, err := parseZone(tz); err == nil {
		return
	}
	h.notice(m, fmt.Sprintf("Your TZ %q is not a zone name this server knows (use one like Europe/Warsaw); times are shown in %s. /tz ZONE sets yours.",
		sanitize.Truncate(tz, maxZoneName), m.zone()))
}

// inZone formats t for m: in their zone, with the zone's name.
func inZone(m *Member, t time.Time) string {
	return t.In(m.zone()).Format("2006-01-02 15:04 MST")
}
