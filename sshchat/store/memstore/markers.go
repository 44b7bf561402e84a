package memstore

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// marker is one key's read marker in one room (by folded name).
type marker struct {
	seq     uint64
	updated time.Time
}

// ReadMarkers returns up to limit markers of key for rooms that exist, the
// most recently moved first.
func (s *Store) ReadMarkers(_ context.Context, key string, limit int) ([]store.Marker, error) {
	var out []store.Marker
	err := s.read(func() error {
		if limit <= 0 {
			return nil
		}
		folds := make([]string, 0, len(s.markers[key]))
		for fold := range s.markers[key] {
			if _, ok := s.rooms[fold]; ok {
				folds = append(folds, fold)
			}
		}
		sort.Slice(folds, func(i, j int) bool {
			a, b := s.markers[key][folds[i]], s.markers[key][folds[j]]
			if !a.updated.Equal(b.updated) {
				return a.updated.After(b.updated)
			}
			return folds[i] < folds[j]
		})
		for _, fold := range folds[:min(limit, len(folds))] {
			mk, room := s.markers[key][fold], s.rooms[fold].Name
			out = append(out, store.Marker{Room: room, Seq: mk.seq, Last: s.lastSeq[room], Updated: mk.updated})
		}
		return nil
	})
	return out, err
}

// SetReadMarkers moves each marker forward, all or none.
func (s *Store) SetReadMarkers(_ context.Context, marks []store.MarkerUpdate) error {
	for _, m := range marks {
		if m.Key == "" || m.Room == "" {
			return errors.New("set read markers: a marker needs a key and a room")
		}
	}
	return s.write(func() error {
		for _, m := range marks {
			if s.markers[m.Key] == nil {
				s.markers[m.Key] = make(map[string]marker)
			}
			fold := store.Fold(m.Room)
			old := s.markers[m.Key][fold]
			s.markers[m.Key][fold] = marker{seq: max(old.seq, m.Seq), updated: maxTime(old.updated, m.Updated.UTC())}
		}
		return nil
	})
}

// saidAfter calls fn with room's said lines after the given Seq, oldest
// first, until fn returns false. The caller holds the lock.
func (s *Store) saidAfter(room string, after uint64, fn func(store.Message) bool) {
	for _, m := range s.history[room] {
		if m.Seq > after && (m.Kind == store.KindMsg || m.Kind == store.KindEmote) && !fn(m) {
			return
		}
	}
}

// Since returns the first limit said lines of room after the given Seq.
func (s *Store) Since(_ context.Context, room string, after uint64, limit int) ([]store.Message, error) {
	var out []store.Message
	err := s.read(func() error {
		if limit <= 0 {
			return nil
		}
		s.saidAfter(room, after, func(m store.Message) bool {
			out = append(out, m)
			return len(out) < limit
		})
		return nil
	})
	return out, err
}

// CountSince counts said lines of room after the given Seq, up to limit.
func (s *Store) CountSince(_ context.Context, room string, after uint64, limit int) (int, error) {
	n := 0
	err := s.read(func() error {
		if limit <= 0 {
			return nil
		}
		s.saidAfter(room, after, func(store.Message) bool {
			n++
			return n < limit
		})
		return nil
	})
	return n, err
}

// MentionsSince returns the newest limit said lines of room after the
// given Seq that contain word and are not from notFromKey, oldest first.
func (s *Store) MentionsSince(_ context.Context, room string, after uint64, word, notFromKey string, limit int) ([]store.Message, error) {
	var out []store.Message
	err := s.read(func() error {
		if limit <= 0 || word == "" {
			return nil
		}
		word = strings.ToLower(word)
		s.saidAfter(room, after, func(m store.Message) bool {
			if m.FromKey != notFromKey && strings.Contains(strings.ToLower(m.Text), word) {
				out = append(out, m)
			}
			return true
		})
		out = slices.Clone(out[max(0, len(out)-limit):])
		return nil
	})
	return out, err
}
