package chat

import "strings"

// A key's preferences changed on another node (ChangePrefs): its sessions
// on this node load them again, so theme, timestamps, time zone, bell and
// the ignore list follow the person to every node at once, not only at
// their next login. A node where the key has no session reads nothing. On
// one node (the in-process bus) nothing changes: the hub that saved skips
// its own change (the session that made it has it; as before, the key's
// other sessions there share only the ignore list, given to them when it
// is saved). A NATS bus hands every node the change, the saving one too,
// so there all of the key's sessions follow it.

// reloadPrefs gives key's sessions here its stored preferences again.
func (h *Hub) reloadPrefs(key string) {
	if key == "" {
		return
	}
	members := h.membersWhere(func(o *Member) bool { return o.key() == key && !o.hidden })
	if len(members) == 0 {
		return
	}
	ctx, cancel := h.ctx()
	saved, err := h.store.Prefs(ctx, key)
	cancel()
	if err != nil {
		h.log.Error("reload preferences", "fingerprint", key, "err", err)
		return
	}
	var keys []string
	for _, k := range strings.Fields(saved[prefIgnore]) {
		if ValidFingerprint(k) && len(keys) < MaxIgnored {
			keys = append(keys, k)
		}
	}
	for _, m := range members {
		m.prefs.Store(prefsFrom(m.identity, saved)) // the read above, not one per session
	}
	// Ignore lists change under ignoreEdits.mu (ignore_edits.go): a reload
	// must not overwrite an edit made here since the store was read. While
	// this node is still writing the key's list, that write's own change
	// brings the next reload.
	e := &h.ignores
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.saving[key] != nil {
		return
	}
	for _, m := range members {
		// The saved keys, and the guests' nicks this session ignores
		// (never saved), within the one bound.
		set := make(map[string]bool, len(keys))
		for _, k := range keys {
			set[k] = true
		}
		if cur := m.ignored.Load(); cur != nil {
			for k := range *cur {
				if !ValidFingerprint(k) && len(set) < MaxIgnored {
					set[k] = true
				}
			}
		}
		m.ignored.Store(&set)
	}
}
