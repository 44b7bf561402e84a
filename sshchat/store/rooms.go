package store

import (
	"context"
	"time"
)

// RoomInfo is the durable metadata of a room.
type RoomInfo struct {
	Name       string // "#dev", as created
	Topic      string
	CreatorKey string
	Created    time.Time
}

// Rooms keeps room metadata.
type Rooms interface {
	// SaveRoom inserts r, or replaces every field of the room with the same
	// case-insensitive name (Name included, so a rename of case sticks).
	SaveRoom(ctx context.Context, r RoomInfo) error // insert or update (by case-insensitive name)
	// LoadRooms returns every room, sorted by Created then Name.
	LoadRooms(ctx context.Context) ([]RoomInfo, error)
}
