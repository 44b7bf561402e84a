package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// searchRows is the size of the generated history: 200k lines by default
// (enough that an unbounded search costs a second), 20k under the race
// detector (which slows the SQLite engine, Go code, about fifty times); set
// SSHCHAT_SEARCH_ROWS=1000000 for the figures of the issue.
func searchRows(t *testing.T) int {
	if v := os.Getenv("SSHCHAT_SEARCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			t.Fatalf("SSHCHAT_SEARCH_ROWS=%q: want a number of lines >= 1000", v)
		}
		return n
	}
	if raceEnabled {
		return 20_000
	}
	return 200_000
}

// cpuTime is the CPU time this process has used so far.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sixteenA is the query of the issue: sixteen one-letter words.
var sixteenA = strings.TrimSpace(strings.Repeat("a ", 16))

// legacySearch is the query Search ran before its cost was bounded:
// every word a prefix, every match sorted. Kept only to measure against.
func legacySearch(s *Store, ctx context.Context, room, query string) (int, error) {
	var b strings.Builder
	for i, w := range strings.Fields(query) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`"` + w + `"*`)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+prefixed("h.", messageColumns)+`
		FROM history_fts JOIN history h ON h.id = history_fts.rowid
		WHERE history_fts MATCH ? AND h.room = ?
		ORDER BY h.seq DESC LIMIT 50`, b.String(), room)
	if err != nil {
		return 0, err
	}
	ms, err := scanMessages(rows)
	return len(ms), err
}

// TestSearchCostIsBounded: on a large history, the searches that used to
// cost seconds of CPU (the sixteen-"a" query, short prefixes, common
// words, words found only in another room) either answer or are stopped at
// the search budget, and the plan walks the index newest first without
// sorting every match.
func TestSearchCostIsBounded(t *testing.T) {
	n := searchRows(t)
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{})
	fillHistory(t, s, n)
	ctx := t.Context()

	terms, err := store.ParseSearch(sixteenA)
	if err != nil || len(terms) != 1 || terms[0] != (store.SearchTerm{Word: "a"}) {
		t.Fatalf("the sixteen-a query is %v, %v; want the one whole word a", terms, err)
	}

	t.Run("plan", func(t *testing.T) {
		rows, err := s.sdb.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT `+prefixed("h.", messageColumns)+`
			FROM history_fts CROSS JOIN history h ON h.id = history_fts.rowid
			WHERE history_fts MATCH ? AND h.room = ?
			ORDER BY history_fts.rowid DESC LIMIT ?`, `"a"`, bigRoom, 50)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		joined := strings.Join(plan, "; ")
		if strings.Contains(joined, "TEMP B-TREE") || !strings.HasPrefix(plan[0], "SCAN history_fts VIRTUAL TABLE") {
			t.Errorf("search plan sorts or does not start from the index: %s", joined)
		}
	})

	// The worst shapes of query a person can send after ParseSearch. In a
	// room of their own ("#nobody") every match is in another room, so the
	// search walks every matching line to find none.
	queries := []struct{ room, query string }{
		{bigRoom, sixteenA},
		{bigRoom, "the"},                  // a word in one line of four
		{bigRoom, "a i to the is it ok"},  // every common word at once
		{bigRoom, "alt anat arbet cozet"}, // prefixes of many words
		{bigRoom, "zezet"},                // the rarest made-up word
		{bigRoom, "nosuchword"},
		{"#nobody", sixteenA},
		{"#nobody", "the"},
		{"#nobody", "alb ali alk alm aln alp alr als"}, // eight prefixes
		{"#nobody", "a i"},
		{bigRoom, "abc"},   // a prefix of 5,000 words, one in every line
		{"#nobody", "abc"}, // the same, walking every line
	}
	for _, q := range queries {
		before := cpuTime(t)
		start := time.Now()
		got, err := s.Search(ctx, q.room, q.query, 50)
		cpu := cpuTime(t) - before
		t.Logf("Search(%s, %q) on %d lines: %d lines, err %v; %v CPU, %v wall", q.room, q.query, n, len(got), err,
			cpu.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		if err != nil && !errors.Is(err, store.ErrSearchTooBroad) {
			t.Errorf("Search(%s, %q): %v", q.room, q.query, err)
		}
	}

	// A search whose words appear only in lines of another room walks the
	// whole index to find nothing, and a prefix of thousands of words has
	// the index merge all their lists first: the budget stops both.
	t.Run("budget stops a walk and a merge", func(t *testing.T) {
		s.searchBudget = time.Millisecond // no other search runs meanwhile
		defer func() { s.searchBudget = defaultSearchBudget }()
		for _, q := range []string{"the", "abc"} {
			before, start := cpuTime(t), time.Now()
			_, err := s.Search(ctx, "#nobody", q, 50)
			t.Logf("Search(#nobody, %q) in a 1 ms budget: %v; %v CPU, %v wall", q, err,
				(cpuTime(t) - before).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
			if !errors.Is(err, store.ErrSearchTooBroad) {
				t.Errorf("Search(#nobody, %q) in a 1 ms budget: err %v, want ErrSearchTooBroad", q, err)
			}
		}
	})

	if os.Getenv("SSHCHAT_SEARCH_ROWS") != "" {
		before := cpuTime(t)
		lctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		got, err := legacySearch(s, lctx, bigRoom, sixteenA)
		t.Logf("legacy Search(%q) on %d lines: %d lines, err %v; %v CPU", sixteenA, n, got, err,
			(cpuTime(t) - before).Round(time.Millisecond))
	}
}
