package chat

import (
	"strings"
	"sync"
)

// A key's ignore list is one list, shared by all of the key's sessions and
// kept in the store. Two sessions of one key that change it at the same
// moment must not each copy the old list and write back their own copy
// (one entry was lost, in memory and in the store): every change is a
// read-modify-write under ignoreEdits.mu, and the store is written after
// the lock is released by one writer per key at a time, which writes the
// newest list until no newer one is waiting.

// ignoreEdits serializes changes of ignore lists.
type ignoreEdits struct {
	// mu is taken under no other lock; under it only Hub.mu (tier 3) is
	// taken, to find the key's sessions. Never held across the store.
	mu sync.Mutex
	// saving holds, by key, the newest list waiting to be written while a
	// writer for that key is at work (one entry per key being written:
	// bounded by the sessions editing at once).
	saving map[string]*ignoreSave
}

// ignoreSave is the newest list of a key that its writer has still to
// write; nil once written.
type ignoreSave struct {
	next *map[string]bool
}

// editIgnored changes m's ignore list with edit, which returns a refusal
// (and changes nothing) or "" after changing set. The change and its check
// see every earlier change of any of the key's sessions, and reach all of
// them; a keyed member's list is then written to the store.
func (h *Hub) editIgnored(m *Member, edit func(set map[string]bool) (refusal string)) (refusal string) {
	e := &h.ignores
	e.mu.Lock()
	next := make(map[string]bool)
	if cur := m.ignored.Load(); cur != nil {
		for k := range *cur {
			next[k] = true
		}
	}
	if refusal := edit(next); refusal != "" {
		e.mu.Unlock()
		return refusal
	}
	m.ignored.Store(&next)
	key := m.key()
	if key == "" {
		e.mu.Unlock() // a guest's list is their session's alone
		return ""
	}
	for _, o := range h.sessionsOfKey(key) {
		o.ignored.Store(&next)
	}
	s := e.saving[key]
	writer := s == nil
	if writer {
		if e.saving == nil {
			e.saving = make(map[string]*ignoreSave)
		}
		s = &ignoreSave{}
		e.saving[key] = s
	}
	s.next = &next
	e.mu.Unlock()
	if writer {
		h.writeIgnored(m, s)
	}
	return ""
}

// writeIgnored writes the newest list of m's key until no newer one waits,
// then lets the next change start a writer. It runs on m's reader, with no
// lock held while the store works.
func (h *Hub) writeIgnored(m *Member, s *ignoreSave) {
	e := &h.ignores
	for {
		e.mu.Lock()
		set := s.next
		s.next = nil
		if set == nil {
			delete(e.saving, m.key())
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
		h.savePref(m, prefIgnore, savedIgnored(*set))
	}
}

// savedIgnored is the stored form of an ignore list: its keys, not guests'
// nicks (a guest's nick is someone else's next session).
func savedIgnored(set map[string]bool) string {
	var keys []string
	for k := range set {
		if ValidFingerprint(k) {
			keys = append(keys, k)
		}
	}
	return strings.Join(keys, " ")
}

// adoptIgnored gives a member who just joined the list their key's other
// sessions hold (or the one being written), in case it changed between
// the joiner's read of the store and their registration, when the change
// could not reach them yet.
func (h *Hub) adoptIgnored(m *Member) {
	key := m.key()
	if key == "" {
		return
	}
	e := &h.ignores
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.saving[key]; s != nil && s.next != nil {
		m.ignored.Store(s.next)
		return
	}
	for _, o := range h.sessionsOfKey(key) {
		if cur := o.ignored.Load(); o != m && cur != nil {
			m.ignored.Store(cur)
			return
		}
	}
}

// sessionsOfKey returns the chat sessions (not one-shot listeners) of key.
func (h *Hub) sessionsOfKey(key string) []*Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*Member
	for _, o := range h.nicks {
		if o.key() == key {
			out = append(out, o)
		}
	}
	return out
}
