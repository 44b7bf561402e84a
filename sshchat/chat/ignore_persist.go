package chat

import (
	"strings"
)

// This file keeps a key's ignore list across sessions and restarts, like
// its other preferences. Only keys are kept: a guest's nick is someone
// else's next session.

const prefIgnore = "ignore"

// loadIgnored gives a joining keyed member the ignore list their key saved
// (saved: what savedPrefs read).
func loadIgnored(m *Member, saved map[string]string) {
	if m.key() == "" || saved[prefIgnore] == "" {
		return // nothing to make a set for: most keys ignore no one
	}
	set := make(map[string]bool)
	for _, k := range strings.Fields(saved[prefIgnore]) {
		if ValidFingerprint(k) && len(set) < MaxIgnored {
			set[k] = true
		}
	}
	if len(set) > 0 {
		m.ignored.Store(&set)
	}
}
