package chat

import (
	"errors"
	"fmt"
)

// This file is the hub's side of `ssh host tail --since-marker`: a bridge
// resumes after the last line its key's tails were shown.

// ErrMarkerNeedsKey refuses --since-marker to guests: a marker belongs to a
// key.
var ErrMarkerNeedsKey = errors.New("--since-marker needs an SSH key: guests have no read marker")

// TrackTail makes the one-shot listener m keep its key's bot marker up to
// date with what its writer shows.
func (h *Hub) TrackTail(m *Member) error {
	if m.key() == "" {
		return ErrMarkerNeedsKey
	}
	m.marks.tail.Store(true)
	return nil
}

// TailMarker returns where m's bot marker stands in the room called name
// (ok false: it has none there yet).
func (h *Hub) TailMarker(m *Member, name string) (after uint64, ok bool, err error) {
	key := m.markerKey()
	if key == "" {
		return 0, false, ErrMarkerNeedsKey
	}
	r, err := h.roomFor(name, nil)
	if err != nil {
		return 0, false, err
	}
	defer h.releaseRoom(r)
	ctx, cancel := h.ctx()
	defer cancel()
	// Every marker of a key, not only the most recent rooms: a bridge of
	// many rooms resumes each.
	markers, err := h.readMarkers(ctx, key, maxRoomsCap(h.cfg.MaxRooms))
	if err != nil {
		return 0, false, fmt.Errorf("read markers: %w", err)
	}
	for _, mk := range markers {
		if FoldRoom(mk.Room) == FoldRoom(r.Name()) {
			return mk.Seq, true, nil
		}
	}
	return 0, false, nil
}

// maxRoomsCap is how many markers one key can have at most: one per room.
func maxRoomsCap(maxRooms int) int {
	if maxRooms <= 0 {
		return 100_000
	}
	return maxRooms
}

// Since returns up to n lines people said in the room called name after
// the line after, oldest first: the first n of them.
func (h *Hub) Since(name string, after uint64, n int) (room string, events []*Event, err error) {
	r, err := h.roomFor(name, nil)
	if err != nil {
		return "", nil, err
	}
	defer h.releaseRoom(r)
	ctx, cancel := h.ctx()
	defer cancel()
	msgs, err := h.store.Since(ctx, r.Name(), after, n)
	if err != nil {
		return "", nil, fmt.Errorf("read history of %s: %w", r.Name(), err)
	}
	return r.Name(), replaysOf(msgs), nil
}
