package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Mailboxes: private messages kept for owners who are offline.

// SaveOffline stores a private message for m.ToKey; it is durable on
// return. The caps are checked in the same (IMMEDIATE) transaction, so
// concurrent saves cannot both take the last place.
func (s *Store) SaveOffline(ctx context.Context, m store.Message) error {
	if m.ToKey == "" {
		return errors.New("save offline message: no recipient key")
	}
	if m.Time.IsZero() {
		return errors.New("save offline message: message has no time")
	}
	fromAddr := m.FromAddr
	if m.FromKey != "" {
		fromAddr = "" // keyed senders are counted by key
	}
	return s.writeTx(ctx, "save offline message", func(tx *sql.Tx) error {
		var kept, fromSender int
		if err := tx.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE from_key = ? AND from_addr = ?)
			FROM offline WHERE to_key = ?`, m.FromKey, fromAddr, m.ToKey).Scan(&kept, &fromSender); err != nil {
			return err
		}
		if kept >= store.MaxOffline {
			return store.ErrMailboxFull
		}
		if fromSender >= store.MaxOfflinePerSender {
			return store.ErrSenderLimit
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO offline
			(to_key, time, kind, from_nick, from_key, from_addr, to_nick, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ToKey, m.Time.UnixMicro(), m.Kind, m.From, m.FromKey, fromAddr, m.To, m.Text)
		return err
	})
}

// PeekOffline returns the private messages kept for toKey, oldest first,
// with their MailboxIDs; they stay kept until DeleteOffline.
func (s *Store) PeekOffline(ctx context.Context, toKey string) ([]store.Message, error) {
	rows, err := s.pointQuery(ctx, "read offline messages", `SELECT id, time, kind, from_nick, from_key, from_addr, to_nick, text
		FROM offline WHERE to_key = ? ORDER BY id LIMIT ?`, toKey, store.MaxOffline)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []store.Message
	for rows.Next() {
		m := store.Message{ToKey: toKey}
		var id int64
		var t sql.NullInt64
		if err := rows.Scan(&id, &t, &m.Kind, &m.From, &m.FromKey, &m.FromAddr, &m.To, &m.Text); err != nil {
			return nil, fmt.Errorf("read offline messages: %w", err)
		}
		m.MailboxID = uint64(id)
		m.Time = goTime(t)
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read offline messages: %w", err)
	}
	return ms, nil
}

// DeleteOffline deletes the given messages of toKey's mailbox, in one
// transaction.
func (s *Store) DeleteOffline(ctx context.Context, toKey string, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.writeTx(ctx, "delete offline messages", func(tx *sql.Tx) error {
		for _, id := range ids {
			if id > math.MaxInt64 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM offline WHERE id = ? AND to_key = ?`, int64(id), toKey); err != nil {
				return err
			}
		}
		return nil
	})
}
