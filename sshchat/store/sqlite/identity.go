package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// ClaimNick makes key the owner of nick unless another key owns it (see
// store.Identities).
func (s *Store) ClaimNick(ctx context.Context, nick, key string) (string, error) {
	if nick == "" || key == "" {
		return "", fmt.Errorf("claim nick %q: empty nick or key", nick)
	}
	fold := store.Fold(nick)
	owner := key
	err := s.writeTx(ctx, "claim nick "+nick, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT key FROM nicks WHERE fold = ?`, fold).Scan(&cur)
		switch {
		case err == nil && cur != key:
			owner = cur
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		// Release whatever key owned before (a key owns one nick), then claim.
		if _, err := tx.ExecContext(ctx, `DELETE FROM nicks WHERE key = ? AND fold <> ?`, key, fold); err != nil {
			return err
		}
		now := time.Now().UnixMicro()
		_, err = tx.ExecContext(ctx, `INSERT INTO nicks (fold, nick, key, claimed, seen) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (fold) DO UPDATE SET nick = excluded.nick, seen = max(seen, excluded.seen)`, fold, nick, key, now, now)
		return err
	})
	if err != nil {
		return "", err
	}
	return owner, nil
}

// NickOwner returns the key that owns nick (any case), or "".
func (s *Store) NickOwner(ctx context.Context, nick string) (string, error) {
	return s.lookup(ctx, "nick owner of "+nick, `SELECT key FROM nicks WHERE fold = ?`, store.Fold(nick))
}

// OwnedNick returns the nick key owns, as claimed, or "".
func (s *Store) OwnedNick(ctx context.Context, key string) (string, error) {
	return s.lookup(ctx, "nick of "+key, `SELECT nick FROM nicks WHERE key = ?`, key)
}

// lookup returns the one string query selects, or "" if no row: a point
// read (pointCtx).
func (s *Store) lookup(ctx context.Context, what, query string, args ...any) (string, error) {
	if err := s.usable(); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	var v string
	err := s.pointRow(ctx, query, args...).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
