package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sshchat/sshchat/sshchat/store"
)

// createMarkers is the schema step of read markers: one row per key and
// room (by folded name, so that a marker follows the room's case-insensitive
// identity like the rooms table does).
var createMarkers = execAll(
	`CREATE TABLE markers (
		key     TEXT    NOT NULL,
		fold    TEXT    NOT NULL,
		seq     INTEGER NOT NULL,
		updated INTEGER NOT NULL,
		PRIMARY KEY (key, fold)
	) WITHOUT ROWID`,
)

// ReadMarkers returns up to limit markers of key for rooms that exist, the
// most recently moved first, each with its room's highest Seq.
func (s *Store) ReadMarkers(ctx context.Context, key string, limit int) ([]store.Marker, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pointQuery(ctx, "read markers", `SELECT r.name, m.seq, COALESCE(q.seq, 0), m.updated
		FROM markers m JOIN rooms r ON r.fold = m.fold LEFT JOIN room_seq q ON q.room = r.name
		WHERE m.key = ? ORDER BY m.updated DESC, m.fold LIMIT ?`, key, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Marker
	for rows.Next() {
		var m store.Marker
		var seq, last int64
		var updated sql.NullInt64
		if err := rows.Scan(&m.Room, &seq, &last, &updated); err != nil {
			return nil, fmt.Errorf("read markers: %w", err)
		}
		m.Seq, m.Last, m.Updated = uint64(seq), uint64(last), goTime(updated)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read markers: %w", err)
	}
	return out, nil
}

// SetReadMarkers moves each marker forward to its Seq, in one transaction.
func (s *Store) SetReadMarkers(ctx context.Context, marks []store.MarkerUpdate) error {
	if len(marks) == 0 {
		return nil
	}
	if err := s.usable(); err != nil {
		return fmt.Errorf("set read markers: %w", err)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set read markers: begin: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO markers (key, fold, seq, updated)
		VALUES (?, ?, ?, ?) ON CONFLICT (key, fold) DO UPDATE SET
		seq = max(seq, excluded.seq), updated = max(updated, excluded.updated)`)
	if err != nil {
		return fmt.Errorf("set read markers: %w", err)
	}
	defer stmt.Close()
	for _, m := range marks {
		if m.Key == "" || m.Room == "" {
			return fmt.Errorf("set read markers: a marker needs a key and a room")
		}
		if _, err := stmt.ExecContext(ctx, m.Key, store.Fold(m.Room), clampSeq(m.Seq), m.Updated.UnixMicro()); err != nil {
			return fmt.Errorf("set read marker of %s: %w", m.Room, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set read markers: commit: %w", err)
	}
	return nil
}

// saidKinds is the SQL list of the kinds history shows.
var saidKinds = "('" + store.KindMsg + "', '" + store.KindEmote + "')"

// Since returns the first limit said lines of room after the given Seq.
func (s *Store) Since(ctx context.Context, room string, after uint64, limit int) ([]store.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.query(ctx, "history of "+room+" since a marker", `SELECT `+messageColumns+` FROM history
		WHERE room = ? AND seq > ? AND kind IN `+saidKinds+` ORDER BY seq LIMIT ?`, room, clampSeq(after), limit)
	if err != nil {
		return nil, err
	}
	ms, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("history of %s since a marker: %w", room, err)
	}
	return ms, nil
}

// CountSince counts said lines of room after the given Seq, up to limit.
func (s *Store) CountSince(ctx context.Context, room string, after uint64, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	what := "count lines of " + room + " since a marker"
	if err := s.usable(); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM history
		WHERE room = ? AND seq > ? AND kind IN `+saidKinds+` LIMIT ?)`, room, clampSeq(after), limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// MentionsSince returns the newest limit said lines of room after the given
// Seq that contain word, oldest first.
func (s *Store) MentionsSince(ctx context.Context, room string, after uint64, word, notFromKey string, limit int) ([]store.Message, error) {
	if limit <= 0 || word == "" {
		return nil, nil
	}
	rows, err := s.query(ctx, "mentions in "+room, `SELECT `+messageColumns+` FROM history
		WHERE room = ? AND seq > ? AND kind IN `+saidKinds+` AND from_key != ? AND instr(lower(text), ?) > 0
		ORDER BY seq DESC LIMIT ?`, room, clampSeq(after), notFromKey, strings.ToLower(word), limit)
	if err != nil {
		return nil, err
	}
	ms, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("mentions in %s: %w", room, err)
	}
	slices.Reverse(ms)
	return ms, nil
}

// clampSeq is seq as SQLite's signed integer.
func clampSeq(seq uint64) int64 {
	if seq > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(seq)
}
