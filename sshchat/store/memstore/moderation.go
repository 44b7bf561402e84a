package memstore

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// SetOperator grants or revokes operator rights of key.
func (s *Store) SetOperator(_ context.Context, key string, op bool) error {
	return s.write(func() error {
		if op {
			s.ops[key] = true
		} else {
			delete(s.ops, key)
		}
		return nil
	})
}

// Operators returns the operator keys, sorted.
func (s *Store) Operators(context.Context) ([]string, error) {
	var out []string
	err := s.read(func() error {
		for k := range s.ops {
			out = append(out, k)
		}
		slices.Sort(out)
		return nil
	})
	return out, err
}

// AddBan adds b, replacing a ban of the same target.
func (s *Store) AddBan(_ context.Context, b store.Ban) error {
	return s.write(func() error { s.bans[b.Target] = b; return nil })
}

// RemoveBan deletes the ban of target.
func (s *Store) RemoveBan(_ context.Context, target string) (bool, error) {
	var had bool
	err := s.write(func() error {
		_, had = s.bans[target]
		delete(s.bans, target)
		return nil
	})
	return had, err
}

// Bans returns the bans active at now, sorted by Created.
func (s *Store) Bans(_ context.Context, now time.Time) ([]store.Ban, error) {
	var out []store.Ban
	err := s.read(func() error {
		out = activeByCreated(s.bans, func(b store.Ban) (bool, time.Time) { return b.Active(now), b.Created })
		return nil
	})
	return out, err
}

// AddMute adds m, replacing a mute of the same key.
func (s *Store) AddMute(_ context.Context, m store.Mute) error {
	return s.write(func() error { s.mutes[m.Key] = m; return nil })
}

// RemoveMute deletes the mute of key.
func (s *Store) RemoveMute(_ context.Context, key string) (bool, error) {
	var had bool
	err := s.write(func() error {
		_, had = s.mutes[key]
		delete(s.mutes, key)
		return nil
	})
	return had, err
}

// Mutes returns the mutes active at now, sorted by Created.
func (s *Store) Mutes(_ context.Context, now time.Time) ([]store.Mute, error) {
	var out []store.Mute
	err := s.read(func() error {
		out = activeByCreated(s.mutes, func(m store.Mute) (bool, time.Time) { return m.Active(now), m.Created })
		return nil
	})
	return out, err
}

// activeByCreated lists the values of byKey that are active, oldest
// first (ties by key, so the order is stable).
func activeByCreated[T any](byKey map[string]T, active func(T) (bool, time.Time)) []T {
	keys := make([]string, 0, len(byKey))
	for k, v := range byKey {
		if ok, _ := active(v); ok {
			keys = append(keys, k)
		}
	}
	created := func(k string) time.Time { _, c := active(byKey[k]); return c }
	sort.Slice(keys, func(i, j int) bool {
		ci, cj := created(keys[i]), created(keys[j])
		if !ci.Equal(cj) {
			return ci.Before(cj)
		}
		return keys[i] < keys[j]
	})
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}

// Audit appends e to the trail.
func (s *Store) Audit(_ context.Context, e store.AuditEntry) error {
	return s.write(func() error { s.audit = append(s.audit, e); return nil })
}

// AuditLog returns the last limit entries, newest last.
func (s *Store) AuditLog(_ context.Context, limit int) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	err := s.read(func() error {
		if limit <= 0 {
			return nil
		}
		out = slices.Clone(s.audit[max(0, len(s.audit)-limit):])
		return nil
	})
	return out, err
}
