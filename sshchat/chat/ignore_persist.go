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

// saveIgnored keeps m's ignore list for their key (its keys, not guests'
// nicks) and gives the same list to the key's other sessions, so that the
// list and its bound are the key's, not one session's.
func (h *Hub) saveIgnored(m *Member) {
	if m.key() == "" {
		return
	}
	cur := m.ignored.Load()
	var keys []string
	if cur != nil {
		for k := range *cur {
			if ValidFingerprint(k) {
				keys = append(keys, k)
			}
		}
	}
	h.savePref(m, prefIgnore, strings.Join(keys, " "))
	for _, o := range h.membersWhere(func(o *Member) bool { return o != m && o.key() == m.key() }) {
		o.ignored.Store(cur)
	}
}
