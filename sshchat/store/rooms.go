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
	// Room returns the metadata of the room called name (any case) and
	// whether there is one: rooms are loaded one by one, on demand, so
	// that start-up does not grow with the number of rooms.
	Room(ctx context.Context, name string) (RoomInfo, bool, error)
	// RoomSeq returns the highest Seq stored for room (exact name; 0 if
	// none), remembered as LastSeqs remembers it.
	RoomSeq(ctx context.Context, room string) (uint64, error)
	// CountRooms returns how many rooms have metadata.
	CountRooms(ctx context.Context) (int, error)
	// DeleteRoom removes the metadata and the history lines of the room
	// called name (any case) and reports whether it had metadata. Its
	// highest Seq stays remembered, so a room of the same name created
	// later never reuses a sequence number.
	DeleteRoom(ctx context.Context, name string) (bool, error)
}
