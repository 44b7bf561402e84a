package chat

import (
	"strings"
)

// This file keeps a key's ignore list across sessions and restarts, like
// its other preferences. Only keys are kept: a guest's nick is someone
// else's next session.

const prefIgnore = "ignore"

// loadIgnored gives a joining keyed member the ignore list their key saved.
func (h *Hub) loadIgnored(m *Member) {
	if m.key() == "" {
		return
	}
	ctx, cancel := h.ctx()
	saved, err := h.store.Prefs(ctx, m.key())
	cancel()
	if err != nil {
		h.log.Error("load ignore list", "fingerprint", m.key(), "err", err)
		return
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
