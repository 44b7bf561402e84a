package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Room metadata in the rooms bucket, by folded name. A room's lines are
// in the stream and each node's read model; DeleteRoom removes them from
// this node's read model (the other nodes keep theirs until they prune).
// The local store keeps a copy of the metadata of the rooms saved on this
// node: its read markers and history deletion go by it.

func (s *Store) SaveRoom(ctx context.Context, r store.RoomInfo) error {
	val, _ := json.Marshal(r)
	if _, err := s.rooms.Put(ctx, store.Fold(r.Name), val); err != nil {
		return fmt.Errorf("save room %s: %w", r.Name, err)
	}
	if err := s.local.SaveRoom(ctx, r); err != nil {
		return fmt.Errorf("save room %s locally: %w", r.Name, err)
	}
	return nil
}

func (s *Store) LoadRooms(ctx context.Context) ([]store.RoomInfo, error) {
	all, err := snapshot(ctx, s.rooms)
	if err != nil {
		return nil, fmt.Errorf("load rooms: %w", err)
	}
	out := make([]store.RoomInfo, 0, len(all))
	for _, e := range all {
		var r store.RoomInfo
		if json.Unmarshal(e.Value, &r) == nil {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func (s *Store) Room(ctx context.Context, name string) (store.RoomInfo, bool, error) {
	e, err := s.rooms.Get(ctx, store.Fold(name))
	if errors.Is(err, natsjs.ErrNotFound) {
		return store.RoomInfo{}, false, nil
	}
	if err != nil {
		return store.RoomInfo{}, false, fmt.Errorf("room %s: %w", name, err)
	}
	var r store.RoomInfo
	if err := json.Unmarshal(e.Value, &r); err != nil {
		return store.RoomInfo{}, false, fmt.Errorf("room %s: %w", name, err)
	}
	return r, true, nil
}

func (s *Store) CountRooms(ctx context.Context) (int, error) {
	all, err := snapshot(ctx, s.rooms)
	if err != nil {
		return 0, fmt.Errorf("count rooms: %w", err)
	}
	return len(all), nil
}

func (s *Store) DeleteRoom(ctx context.Context, name string) (bool, error) {
	fold := store.Fold(name)
	e, err := s.rooms.Get(ctx, fold)
	had := err == nil
	if err != nil && !errors.Is(err, natsjs.ErrNotFound) {
		return false, fmt.Errorf("delete room %s: %w", name, err)
	}
	if had {
		if err := s.rooms.Delete(ctx, fold, e.Revision); err != nil && !errors.Is(err, natsjs.ErrRevisionMismatch) {
			return false, fmt.Errorf("delete room %s: %w", name, err)
		}
	}
	if _, err := s.local.DeleteRoom(ctx, name); err != nil {
		return had, fmt.Errorf("delete room %s: history: %w", name, err)
	}
	return had, nil
}
