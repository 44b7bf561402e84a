package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// Point reads: the short, indexed, LIMITed lookups a join makes (who owns
// a nick, a key's preferences, markers and mailbox) run without their
// context's cancellation.
//
// Why: with a context that can be cancelled, database/sql starts a
// goroutine and a child context per query (Rows.awaitDone) and the driver
// another goroutine per statement (modernc's interruptOnDone), to cancel
// the statement midway. A keyed join makes about six such reads; that
// machinery was most of a join's garbage (about 8 KiB), and the garbage
// left spans part-used between the sessions' long-lived objects: measured
// at 1,000 idle sessions, about 3 KiB of RSS per session (see "Memory per
// idle session" in docs/ARCHITECTURE.md).
//
// What still bounds a point read: a context already done fails it before
// it starts; a lock wait ends at SQLite's busy_timeout; the read pool is
// used only for such short reads (searches have their own pool), so waiting
// for one of its connections means waiting behind other short reads. What
// no longer does: cancelling a statement that has started, which these
// (index lookups of at most a few hundred rows) never needed.
func pointCtx(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}

// pointQuery runs one point read on the read pool (see pointCtx).
func (s *Store) pointQuery(ctx context.Context, what, query string, args ...any) (*sql.Rows, error) {
	pctx, err := pointCtx(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return s.query(pctx, what, query, args...)
}

// pointRow runs one point read of a single row on the read pool (see
// pointCtx); the caller checks ErrNoRows through Scan.
func (s *Store) pointRow(ctx context.Context, query string, args ...any) *sql.Row {
	pctx, err := pointCtx(ctx)
	if err != nil {
		pctx = ctx // done: QueryRowContext reports it through Scan
	}
	return s.rdb.QueryRowContext(pctx, query, args...)
}
