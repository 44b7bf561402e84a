package chat

import (
	"strings"
	"sync"
)

// A key's preferences changed on another node (ChangePrefs): its sessions
// on this node load them again, so theme, timestamps, time zone, bell and
// the ignore list follow the person to every node at once, not only at
// their next login. A node where the key has no session reads nothing. On
// one node (the in-process bus) nothing changes: the hub that saved skips
// its own change (the session that made it has it; as before, the key's
// other sessions there share only the ignore list, given to them when it
// is saved). A NATS bus hands every node the change, the saving one too,
// so there all of the key's sessions follow it.

// maxPrefsReloads bounds the keys waiting for a reload on one node; past
// it a change is dropped (logged): those sessions get the settings at
// their next login.
const maxPrefsReloads = 10_000

// prefsReloads is the queue of keys whose preferences changed elsewhere.
// The bus delivers changes on the goroutine that delivers every room's
// lines, and any keyed person can cause one (/theme, /ignore, ...): the
// store reads happen on a worker of the hub's, never there.
type prefsReloads struct {
	mu      sync.Mutex // a leaf; no I/O under it
	pending map[string]struct{}
	running bool // a worker is draining pending
	dropped int
}

// reloadPrefs queues key for a reload of its sessions' preferences here;
// repeats of a key still waiting merge. It never blocks.
func (h *Hub) reloadPrefs(key string) {
	if key == "" {
		return
	}
	q := &h.prefsReloads
	q.mu.Lock()
	if _, ok := q.pending[key]; !ok && len(q.pending) >= maxPrefsReloads {
		q.dropped++
		q.mu.Unlock()
		return
	}
	if q.pending == nil {
		q.pending = make(map[string]struct{})
	}
	q.pending[key] = struct{}{}
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		h.goBackground("reload preferences", h.drainPrefsReloads)
	}
}

// drainPrefsReloads reloads queued keys until none waits.
func (h *Hub) drainPrefsReloads() {
	q := &h.prefsReloads
	defer func() {
		if r := recover(); r != nil { // let the next change start a worker
			q.mu.Lock()
			q.running = false
			q.mu.Unlock()
			panic(r) // goBackground logs it
		}
	}()
	for {
		q.mu.Lock()
		var key string
		for k := range q.pending {
			key = k
			break
		}
		dropped := q.dropped
		q.dropped = 0
		if key == "" {
			q.running = false
			q.mu.Unlock()
			return
		}
		delete(q.pending, key)
		q.mu.Unlock()
		if dropped > 0 {
			h.log.Warn("preference reloads dropped: too many waiting", "dropped", dropped, "bound", maxPrefsReloads)
		}
		h.applyPrefsReload(key)
	}
}

// applyPrefsReload gives key's sessions here its stored preferences again,
// from one read of the store.
func (h *Hub) applyPrefsReload(key string) {
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
