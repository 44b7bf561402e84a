package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Searches are the one read whose cost a person chooses, so they run apart
// from every other read: on their own small pool of connections (Options.
// SearchConns), one search per connection, each stopped at its time budget
// (Options.SearchBudget). Joins, nick look-ups, /history and the one-shot
// commands read through the main pool, which searches never touch: a crowd
// of expensive searches can only make other searches wait.

const (
	defaultSearchBudget = time.Second
	// maxSearchLimit bounds the lines one Search returns, whatever the
	// caller asks.
	maxSearchLimit = 1000
)

// defaultSearchConns leaves at least half of the machine's cores to
// everything else while searches run.
func defaultSearchConns() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// Search returns the newest limit messages of room containing every term
// of query (see store.ParseSearch; with FTS5 a term of store.MinPrefixLen
// letters or more is a word prefix and a shorter one a whole word, with
// LIKE every term is a substring), oldest first. It waits for a search
// connection while ctx allows (store.ErrSearchBusy after that) and stops
// the query at the search budget (store.ErrSearchTooBroad).
func (s *Store) Search(ctx context.Context, room, query string, limit int) ([]store.Message, error) {
	what := "search history of " + room
	terms, err := store.ParseSearch(query)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if limit <= 0 || len(terms) == 0 {
		return nil, nil
	}
	limit = min(limit, maxSearchLimit)
	if err := s.usable(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	release, err := s.takeSearchSlot(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer release()
	conn, err := s.sdb.Conn(ctx) // never waits: one connection per slot
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer conn.Close()
	if hook := s.searchHook.Load(); hook != nil {
		(*hook)(ctx)
	}

	qctx, cancel := context.WithTimeout(ctx, s.searchBudget)
	defer cancel()
	ms, err := runSearch(qctx, conn, s.fts, room, terms, limit)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: %w: %w", what, store.ErrSearchBusy, err)
	case errors.Is(qctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("%s: stopped after %v: %w", what, s.searchBudget, store.ErrSearchTooBroad)
	default:
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	// Newest first by row id (the order of appending, which is each
	// room's order); shown oldest first.
	slices.SortFunc(ms, func(a, b store.Message) int { return cmp.Compare(a.Seq, b.Seq) })
	return ms, nil
}

// runSearch runs the query for terms on conn, with FTS5 or with LIKE.
func runSearch(ctx context.Context, conn *sql.Conn, fts bool, room string, terms []store.SearchTerm, limit int) ([]store.Message, error) {
	if fts {
		// The index is walked from the newest line down, and the walk
		// stops at the limit-th line of room: no sort of every match.
		// CROSS JOIN keeps the index as the outer loop.
		rows, err := conn.QueryContext(ctx, `SELECT `+prefixed("h.", messageColumns)+`
			FROM history_fts CROSS JOIN history h ON h.id = history_fts.rowid
			WHERE history_fts MATCH ? AND h.room = ?
			ORDER BY history_fts.rowid DESC LIMIT ?`, ftsQuery(terms), room, limit)
		if err != nil {
			return nil, err
		}
		return scanMessages(rows)
	}
	q := `SELECT ` + messageColumns + ` FROM history WHERE room = ?`
	args := []any{room}
	for _, t := range terms {
		q += ` AND text LIKE ? ESCAPE '\'`
		args = append(args, "%"+t.Word+"%") // terms hold no % _ or \
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	rows, err := conn.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	return scanMessages(rows)
}

// ftsQuery writes terms as an FTS5 query: every term a quoted phrase
// ("word", or "word"* for a prefix), all of them required. Terms hold only
// letters and digits, so nothing inside the quotes needs escaping.
func ftsQuery(terms []store.SearchTerm) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`"` + t.Word + `"`)
		if t.Prefix {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// takeSearchSlot waits for one of the search connections, or until ctx ends.
func (s *Store) takeSearchSlot(ctx context.Context) (release func(), err error) {
	select {
	case s.searchSlots <- struct{}{}:
		return func() { <-s.searchSlots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: every search connection stayed in use: %w", store.ErrSearchBusy, context.Cause(ctx))
	}
}

// SetSearchHook is for tests: fn runs in every Search once it holds its
// search connection, before its query (to hold searches there and show
// that other reads do not wait for them). nil removes the hook.
func (s *Store) SetSearchHook(fn func(ctx context.Context)) {
	if fn == nil {
		s.searchHook.Store(nil)
		return
	}
	s.searchHook.Store(&fn)
}

// prefixed qualifies each column of a comma-separated list.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}
