package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// SetOperator grants or revokes operator rights of key.
func (s *Store) SetOperator(ctx context.Context, key string, op bool) error {
	if key == "" {
		return errors.New("set operator: empty key")
	}
	if op {
		_, err := s.exec(ctx, "set operator "+key,
			`INSERT INTO operators (key, added) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
			key, time.Now().UnixMicro())
		return err
	}
	_, err := s.exec(ctx, "unset operator "+key, `DELETE FROM operators WHERE key = ?`, key)
	return err
}

// Operators returns the operator keys, sorted.
func (s *Store) Operators(ctx context.Context) ([]string, error) {
	rows, err := s.query(ctx, "operators", `SELECT key FROM operators ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("operators: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("operators: %w", err)
	}
	return keys, nil
}

// AddBan stores b, replacing any ban of the same Target.
func (s *Store) AddBan(ctx context.Context, b store.Ban) error {
	if b.Target == "" {
		return errors.New("add ban: empty target")
	}
	_, err := s.exec(ctx, "add ban "+b.Target, `INSERT INTO bans (target, reason, by, created, expires)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (target) DO UPDATE SET
		reason = excluded.reason, by = excluded.by, created = excluded.created, expires = excluded.expires`,
		b.Target, b.Reason, b.By, dbTime(b.Created), dbTime(b.Expires))
	return err
}

// RemoveBan deletes the ban of target and reports whether there was one.
func (s *Store) RemoveBan(ctx context.Context, target string) (bool, error) {
	return s.remove(ctx, "remove ban "+target, `DELETE FROM bans WHERE target = ?`, target)
}

// Bans returns the bans active at now, sorted by Created (then Target).
// Expired bans stay in the table until removed; they are only filtered.
func (s *Store) Bans(ctx context.Context, now time.Time) ([]store.Ban, error) {
	rows, err := s.query(ctx, "bans", `SELECT target, reason, by, created, expires FROM bans
		WHERE expires IS NULL OR expires > ? ORDER BY created, target`, now.UnixMicro())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var bans []store.Ban
	for rows.Next() {
		var b store.Ban
		var created, expires sql.NullInt64
		if err := rows.Scan(&b.Target, &b.Reason, &b.By, &created, &expires); err != nil {
			return nil, fmt.Errorf("bans: %w", err)
		}
		b.Created, b.Expires = goTime(created), goTime(expires)
		bans = append(bans, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("bans: %w", err)
	}
	return bans, nil
}

// AddMute stores m, replacing any mute of the same Key.
func (s *Store) AddMute(ctx context.Context, m store.Mute) error {
	if m.Key == "" {
		return errors.New("add mute: empty key")
	}
	_, err := s.exec(ctx, "add mute "+m.Key, `INSERT INTO mutes (key, by, created, expires)
		VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET
		by = excluded.by, created = excluded.created, expires = excluded.expires`,
		m.Key, m.By, dbTime(m.Created), dbTime(m.Expires))
	return err
}

// RemoveMute deletes the mute of key and reports whether there was one.
func (s *Store) RemoveMute(ctx context.Context, key string) (bool, error) {
	return s.remove(ctx, "remove mute "+key, `DELETE FROM mutes WHERE key = ?`, key)
}

// Mutes returns the mutes active at now, sorted by Created (then Key).
func (s *Store) Mutes(ctx context.Context, now time.Time) ([]store.Mute, error) {
	rows, err := s.query(ctx, "mutes", `SELECT key, by, created, expires FROM mutes
		WHERE expires IS NULL OR expires > ? ORDER BY created, key`, now.UnixMicro())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var mutes []store.Mute
	for rows.Next() {
		var m store.Mute
		var created, expires sql.NullInt64
		if err := rows.Scan(&m.Key, &m.By, &created, &expires); err != nil {
			return nil, fmt.Errorf("mutes: %w", err)
		}
		m.Created, m.Expires = goTime(created), goTime(expires)
		mutes = append(mutes, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mutes: %w", err)
	}
	return mutes, nil
}

// Audit appends e to the trail.
func (s *Store) Audit(ctx context.Context, e store.AuditEntry) error {
	_, err := s.exec(ctx, "audit "+e.Action, `INSERT INTO audit (time, actor, action, target, reason)
		VALUES (?, ?, ?, ?, ?)`, dbTime(e.Time), e.Actor, e.Action, e.Target, e.Reason)
	return err
}

// AuditLog returns the last limit entries, newest last.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.query(ctx, "audit log", `SELECT time, actor, action, target, reason FROM audit
		ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var log []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var t sql.NullInt64
		if err := rows.Scan(&t, &e.Actor, &e.Action, &e.Target, &e.Reason); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.Time = goTime(t)
		log = append(log, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	slices.Reverse(log)
	return log, nil
}

// remove runs a DELETE and reports whether it deleted a row.
func (s *Store) remove(ctx context.Context, what, query string, args ...any) (bool, error) {
	res, err := s.exec(ctx, what, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return n > 0, nil
}
