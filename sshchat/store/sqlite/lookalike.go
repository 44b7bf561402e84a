package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	msqlite "modernc.org/sqlite"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// Look-alike nicks: a nick must not look like one another key owns
// ("aIice" beside alice's "alice"), so the store can find owned nicks by
// their sanitize.Skeleton. SQLite indexes the skeleton as an expression
// (nicks_skeleton), computed by a Go function registered with the driver:
// a look-up is one index probe however many nicks are owned, and the
// nicks table itself is unchanged.

const skeletonFunc = "sshchat_skeleton"

func init() {
	msqlite.MustRegisterDeterministicScalarFunction(skeletonFunc, 1,
		func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			s, _ := args[0].(string)
			return sanitize.Skeleton(s), nil
		})
}

// indexLookalikes creates the skeleton index if it is missing (Open calls
// it after the migrations; on an existing database it is built once).
func (s *Store) indexLookalikes(ctx context.Context) error {
	_, err := s.wdb.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS nicks_skeleton ON nicks (`+skeletonFunc+`(nick))`)
	if err != nil {
		return fmt.Errorf("index nick skeletons: %w", err)
	}
	return nil
}

// LookalikeOwner returns a nick that looks like nick (the same
// sanitize.Skeleton) and is owned by a key other than exceptKey, with that
// key; "" if there is none.
func (s *Store) LookalikeOwner(ctx context.Context, nick, exceptKey string) (owned, key string, err error) {
	if err := s.usable(); err != nil {
		return "", "", fmt.Errorf("look-alikes of %s: %w", nick, err)
	}
	err = s.pointRow(ctx, `SELECT nick, key FROM nicks WHERE `+skeletonFunc+`(nick) = ? AND key <> ? LIMIT 1`,
		sanitize.Skeleton(nick), exceptKey).Scan(&owned, &key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("look-alikes of %s: %w", nick, err)
	}
	return owned, key, nil
}
