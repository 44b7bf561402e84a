package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sshchat/sshchat/sshchat/store"
)

// SaveRoom inserts r or replaces the room with the same case-insensitive name.
func (s *Store) SaveRoom(ctx context.Context, r store.RoomInfo) error {
	if r.Name == "" {
		return errors.New("save room: empty name")
	}
	_, err := s.exec(ctx, "save room "+r.Name, `INSERT INTO rooms (fold, name, topic, creator_key, created)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (fold) DO UPDATE SET
		name = excluded.name, topic = excluded.topic, creator_key = excluded.creator_key, created = excluded.created`,
		store.Fold(r.Name), r.Name, r.Topic, r.CreatorKey, dbTime(r.Created))
	return err
}

// LoadRooms returns every room, sorted by Created then Name.
func (s *Store) LoadRooms(ctx context.Context) ([]store.RoomInfo, error) {
	rows, err := s.query(ctx, "load rooms", `SELECT name, topic, creator_key, created FROM rooms
		ORDER BY created, fold`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rooms []store.RoomInfo
	for rows.Next() {
		var r store.RoomInfo
		var created sql.NullInt64
		if err := rows.Scan(&r.Name, &r.Topic, &r.CreatorKey, &created); err != nil {
			return nil, fmt.Errorf("load rooms: %w", err)
		}
		r.Created = goTime(created)
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load rooms: %w", err)
	}
	return rooms, nil
}

// Prefs returns every setting of key.
func (s *Store) Prefs(ctx context.Context, key string) (map[string]string, error) {
	rows, err := s.pointQuery(ctx, "preferences of "+key, `SELECT name, value FROM prefs WHERE key = ?`, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	prefs := make(map[string]string)
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, fmt.Errorf("preferences of %s: %w", key, err)
		}
		prefs[name] = value
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("preferences of %s: %w", key, err)
	}
	return prefs, nil
}

// SetPref sets one setting of key; an empty value deletes it.
func (s *Store) SetPref(ctx context.Context, key, name, value string) error {
	if key == "" || name == "" {
		return errors.New("set preference: empty key or name")
	}
	what := "set preference " + name + " of " + key
	if value == "" {
		_, err := s.exec(ctx, what, `DELETE FROM prefs WHERE key = ? AND name = ?`, key, name)
		return err
	}
	_, err := s.exec(ctx, what, `INSERT INTO prefs (key, name, value) VALUES (?, ?, ?)
		ON CONFLICT (key, name) DO UPDATE SET value = excluded.value`, key, name, value)
	return err
}
