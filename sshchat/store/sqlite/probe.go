package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// probeKey is the row the writability probe writes and removes again; no
// real key fingerprint looks like it.
const probeKey = "sshchat:readiness-probe"

// CheckWritable commits a real write (a row inserted and deleted in one
// transaction on the write connection, so pages reach the WAL) and reports
// why it could not: the database locked by another process, a read-only or
// full disk, or the store closed. Readiness checks call it.
func (s *Store) CheckWritable(ctx context.Context) error {
	return s.writeTx(ctx, "check the store is writable", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO operators (key, added) VALUES (?, 0)
			ON CONFLICT (key) DO NOTHING`, probeKey); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM operators WHERE key = ?`, probeKey)
		return err
	})
}

// KnownKeys counts the keys that own a nick: everyone who ever connected
// with a key and kept a name.
func (s *Store) KnownKeys(ctx context.Context) (int, error) {
	rows, err := s.query(ctx, "count known keys", `SELECT count(*) FROM nicks`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("count known keys: %w", err)
		}
	}
	return n, rows.Err()
}
