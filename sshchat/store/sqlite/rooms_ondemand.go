package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Room returns the metadata of the room called name (any case).
func (s *Store) Room(ctx context.Context, name string) (store.RoomInfo, bool, error) {
	what := "load room " + name
	if err := s.usable(); err != nil {
		return store.RoomInfo{}, false, fmt.Errorf("%s: %w", what, err)
	}
	var r store.RoomInfo
	var created sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT name, topic, creator_key, created FROM rooms WHERE fold = ?`,
		store.Fold(name)).Scan(&r.Name, &r.Topic, &r.CreatorKey, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.RoomInfo{}, false, nil
	case err != nil:
		return store.RoomInfo{}, false, fmt.Errorf("%s: %w", what, err)
	}
	r.Created = goTime(created)
	return r, true, nil
}

// RoomSeq returns the highest Seq ever appended to room.
func (s *Store) RoomSeq(ctx context.Context, room string) (uint64, error) {
	what := "last sequence number of " + room
	if err := s.usable(); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	var seq int64
	err := s.rdb.QueryRowContext(ctx, `SELECT seq FROM room_seq WHERE room = ?`, room).Scan(&seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return uint64(seq), nil
}

// CountRooms returns how many rooms have metadata.
func (s *Store) CountRooms(ctx context.Context) (int, error) {
	if err := s.usable(); err != nil {
		return 0, fmt.Errorf("count rooms: %w", err)
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM rooms`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rooms: %w", err)
	}
	return n, nil
}

// DeleteRoom removes the room's metadata and history lines in one
// transaction; room_seq keeps its highest Seq.
func (s *Store) DeleteRoom(ctx context.Context, name string) (bool, error) {
	var had bool
	err := s.writeTx(ctx, "delete room "+name, func(tx *sql.Tx) error {
		var canonical string
		err := tx.QueryRowContext(ctx, `SELECT name FROM rooms WHERE fold = ?`, store.Fold(name)).Scan(&canonical)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			canonical = name
		case err != nil:
			return err
		default:
			had = true
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rooms WHERE fold = ?`, store.Fold(name)); err != nil {
			return err
		}
		// Lines are kept under the room's canonical name; the FTS index
		// follows through its delete trigger.
		_, err = tx.ExecContext(ctx, `DELETE FROM history WHERE room = ?`, canonical)
		return err
	})
	return had, err
}
