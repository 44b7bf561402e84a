package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Read markers across nodes. Every node keeps the markers its own sessions
// reported in its local store, as on one node (so SetReadMarkers is as
// fast as there and keeps its contract), and shares them in the markers
// bucket: one value per key holding that key's markers by folded room,
// merged by compare-and-set with the highest Seq winning, so a marker
// never moves back even when two nodes write it at once.
//
// Sharing is behind the local write: SetReadMarkers hands the batch to
// markerShare, whose one goroutine writes it to the bucket (one
// compare-and-set per key per round, a few keys at a time), so a session
// and the chat's flusher never wait on NATS. ReadMarkers reads the key's
// value from the bucket (one get) and moves the local markers forward to
// it before reading them locally: someone who comes back through another
// node catches up from where they stopped on the first.

// Bounds of shared markers.
const (
	// maxSharedMarkersPerKey bounds one key's value: past it the markers
	// moved longest ago are dropped from the bucket (this node's local
	// store keeps its own).
	maxSharedMarkersPerKey = 200
	// markersValueSize fits maxSharedMarkersPerKey markers of the longest
	// room names in JSON, with room to spare.
	markersValueSize = 32 << 10
	// maxSharedPending bounds the markers waiting to be shared (the chat's
	// own cache holds at most 100,000); past it new ones are dropped here
	// (the local store has them; the member's next report brings them
	// again).
	maxSharedPending = 100_000
	// markerWriters is how many keys are written to the bucket at once.
	markerWriters = 8
	// markerWriteWait bounds one key's write; markerCloseWait bounds the
	// last round at Close.
	markerWriteWait = 5 * time.Second
	markerCloseWait = 5 * time.Second
)

// SetReadMarkers moves each marker forward in the local store, then
// shares the batch with the other nodes in the background.
func (s *Store) SetReadMarkers(ctx context.Context, marks []store.MarkerUpdate) error {
	if err := s.local.SetReadMarkers(ctx, marks); err != nil {
		return err
	}
	s.markers.add(marks)
	return nil
}

// ReadMarkers returns key's markers as the local store has them, after
// moving them forward to what other nodes shared.
func (s *Store) ReadMarkers(ctx context.Context, key string, limit int) ([]store.Marker, error) {
	if limit <= 0 {
		return nil, nil
	}
	var shared sharedMarkers
	if _, err := getJSON(ctx, s.markersBucket, key, &shared); err != nil {
		// Read markers are a convenience: catch up from this node's own.
		s.log.Warn("read shared markers", "err", err)
		return s.local.ReadMarkers(ctx, key, limit)
	}
	if len(shared) > 0 {
		if err := s.adoptMarkers(ctx, key, shared); err != nil {
			s.log.Warn("adopt shared markers", "err", err)
		}
	}
	return s.local.ReadMarkers(ctx, key, limit)
}

// adoptMarkers moves key's local markers forward to shared. A room the
// local store has no record of (it was made on another node) is copied
// from the rooms bucket first, so that the local read finds it; a room
// that no longer exists is left out.
func (s *Store) adoptMarkers(ctx context.Context, key string, shared sharedMarkers) error {
	local, err := s.local.ReadMarkers(ctx, key, maxSharedMarkersPerKey+1)
	if err != nil {
		return err
	}
	have := make(map[string]store.Marker, len(local))
	for _, m := range local {
		have[store.Fold(m.Room)] = m
	}
	var moves []store.MarkerUpdate
	var gone []string
	for fold, m := range shared {
		if old, ok := have[fold]; ok {
			if old.Seq >= m.Seq {
				continue
			}
		} else if err := s.ensureLocalRoom(ctx, m.Room); errors.Is(err, errNoSuchRoom) {
			gone = append(gone, fold)
			continue
		} else if err != nil {
			return err
		}
		moves = append(moves, store.MarkerUpdate{Key: key, Room: m.Room, Seq: m.Seq, Updated: time.UnixMicro(m.Updated)})
	}
	if len(gone) > 0 {
		// Rooms removed everywhere: drop their markers from the value,
		// so that later reads do not look them up again.
		err := changeJSON(ctx, s.markersBucket, key, func(v *sharedMarkers, found bool) (bool, error) {
			n := len(*v)
			for _, fold := range gone {
				delete(*v, fold)
			}
			return found && len(*v) < n, nil
		})
		if err != nil {
			s.log.Warn("drop markers of removed rooms", "err", err)
		}
	}
	if len(moves) == 0 {
		return nil
	}
	return s.local.SetReadMarkers(ctx, moves)
}

// errNoSuchRoom: the room exists on no node.
var errNoSuchRoom = errors.New("no such room")

// ensureLocalRoom copies room's metadata from the rooms bucket into the
// local store if the local store has no record of it (the room was made
// on another node), or returns errNoSuchRoom.
func (s *Store) ensureLocalRoom(ctx context.Context, room string) error {
	if _, ok, err := s.local.Room(ctx, room); err != nil || ok {
		return err
	}
	info, ok, err := s.Room(ctx, room)
	if err != nil {
		return err
	}
	if !ok {
		return errNoSuchRoom
	}
	if err := s.local.SaveRoom(ctx, info); err != nil {
		return fmt.Errorf("copy room %s: %w", room, err)
	}
	return nil
}
