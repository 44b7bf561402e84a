package memstore

import (
	"context"
	"sort"

	"github.com/sshchat/sshchat/sshchat/store"
)

// SaveRoom inserts r or replaces the room of the same folded name.
func (s *Store) SaveRoom(_ context.Context, r store.RoomInfo) error {
	r.Created = r.Created.UTC()
	return s.write(func() error { s.rooms[store.Fold(r.Name)] = r; return nil })
}

// LoadRooms returns every room, sorted by Created then Name.
func (s *Store) LoadRooms(context.Context) ([]store.RoomInfo, error) {
	var out []store.RoomInfo
	err := s.read(func() error {
		for _, r := range s.rooms {
			out = append(out, r)
		}
		sort.Slice(out, func(i, j int) bool {
			if !out[i].Created.Equal(out[j].Created) {
				return out[i].Created.Before(out[j].Created)
			}
			return out[i].Name < out[j].Name
		})
		return nil
	})
	return out, err
}

// Room returns the room called name (any case).
func (s *Store) Room(_ context.Context, name string) (store.RoomInfo, bool, error) {
	var r store.RoomInfo
	var ok bool
	err := s.read(func() error {
		r, ok = s.rooms[store.Fold(name)]
		return nil
	})
	return r, ok, err
}

// RoomSeq returns the highest Seq ever stored for room (exact name).
func (s *Store) RoomSeq(_ context.Context, room string) (uint64, error) {
	var seq uint64
	err := s.read(func() error { seq = s.lastSeq[room]; return nil })
	return seq, err
}

// CountRooms returns how many rooms have metadata.
func (s *Store) CountRooms(context.Context) (int, error) {
	var n int
	err := s.read(func() error { n = len(s.rooms); return nil })
	return n, err
}

// DeleteRoom removes the room's metadata and its lines (any case); its
// sequence numbers stay used.
func (s *Store) DeleteRoom(_ context.Context, name string) (bool, error) {
	fold := store.Fold(name)
	var had bool
	err := s.write(func() error {
		_, had = s.rooms[fold]
		delete(s.rooms, fold)
		for room := range s.history {
			if store.Fold(room) == fold {
				delete(s.history, room)
			}
		}
		return nil
	})
	return had, err
}

// Prefs returns every setting of key.
func (s *Store) Prefs(_ context.Context, key string) (map[string]string, error) {
	out := make(map[string]string)
	err := s.read(func() error {
		for k, v := range s.prefs[key] {
			out[k] = v
		}
		return nil
	})
	return out, err
}

// SetPref sets one setting of key; an empty value deletes it.
func (s *Store) SetPref(_ context.Context, key, name, value string) error {
	return s.write(func() error {
		if value == "" {
			delete(s.prefs[key], name)
			return nil
		}
		if s.prefs[key] == nil {
			s.prefs[key] = make(map[string]string)
		}
		s.prefs[key][name] = value
		return nil
	})
}
