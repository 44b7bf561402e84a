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
		for _, b := range s.bans {
			if b.Active(now) {
				out = append(out, b)
			}
		}
		sort.SliceStable(out, func(i, j int) bool {
			if !out[i].Created.Equal(out[j].Created) {
				return out[i].Created.Before(out[j].Created)
			}
			return out[i].Target < out[j].Target
		})
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
		for _, m := range s.mutes {
			if m.Active(now) {
				out = append(out, m)
			}
		}
		sort.SliceStable(out, func(i, j int) bool {
			if !out[i].Created.Equal(out[j].Created) {
				return out[i].Created.Before(out[j].Created)
			}
			return out[i].Key < out[j].Key
		})
		return nil
	})
	return out, err
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
