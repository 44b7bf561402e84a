package store

import (
	"context"
	"time"
)

// Marker is where one key stopped reading one room: the Seq of the last
// line of that room the key was shown.
type Marker struct {
	Room    string    // the room's name as stored
	Seq     uint64    // the last line shown; lines with a higher Seq are unread
	Last    uint64    // the room's highest Seq now (RoomSeq), for the caller's "anything new?"
	Updated time.Time // when the marker last moved
}

// MarkerUpdate is one move of a read marker.
type MarkerUpdate struct {
	Key, Room string
	Seq       uint64
	Updated   time.Time
}

// Markers keeps read markers, so that someone coming back sees what they
// missed. A marker belongs to a key (bots use a key of their own, see the
// chat package) and a room; a room that no longer exists has no marker.
type Markers interface {
	// ReadMarkers returns up to limit markers of key for rooms that exist,
	// the most recently moved first.
	ReadMarkers(ctx context.Context, key string, limit int) ([]Marker, error)
	// SetReadMarkers moves each marker forward to its Seq, all in one
	// write: a marker never moves back (two sessions of one key may report
	// out of order). Updated is when it moved.
	SetReadMarkers(ctx context.Context, marks []MarkerUpdate) error
	// Since returns up to limit lines people said in room (messages and
	// emotes) with Seq > after, oldest first: the first limit such lines.
	Since(ctx context.Context, room string, after uint64, limit int) ([]Message, error)
	// CountSince counts the lines people said in room with Seq > after,
	// counting no further than limit (a return of limit means "limit or
	// more"), so that the work stays bounded however long someone was away.
	CountSince(ctx context.Context, room string, after uint64, limit int) (int, error)
	// MentionsSince returns up to limit lines said in room with Seq >
	// after whose text contains word (compared in ASCII lower case; the
	// caller decides what counts as a whole word) and whose author's key
	// is not notFromKey: the newest limit such lines, oldest first.
	MentionsSince(ctx context.Context, room string, after uint64, word, notFromKey string, limit int) ([]Message, error)
}
