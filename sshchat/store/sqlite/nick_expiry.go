package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// SeenKey records the last-seen time of the nick key owns.
func (s *Store) SeenKey(ctx context.Context, key string, t time.Time) error {
	_, err := s.exec(ctx, "record key seen "+key, `UPDATE nicks SET seen = ? WHERE key = ?`, t.UnixMicro(), key)
	return err
}

// ExpireNicks releases the nicks of keys last seen before t.
func (s *Store) ExpireNicks(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.exec(ctx, "expire nicks", `DELETE FROM nicks WHERE seen < ?`, t.UnixMicro())
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// ReleaseNick releases nick and returns the key that owned it.
func (s *Store) ReleaseNick(ctx context.Context, nick string) (string, error) {
	var owner string
	err := s.writeTx(ctx, "release nick "+nick, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM nicks WHERE fold = ? RETURNING key`, store.Fold(nick)).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return owner, err
}
