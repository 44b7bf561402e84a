package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Rooms of the generated history: bigRoom has nine lines in ten.
const (
	bigRoom   = "#big"
	otherRoom = "#other"
)

// bigVocabulary is the words of the generated history: a few very common
// short ones, as in real chat, and 600 made-up words, a sixth of them
// starting with "a", so that a prefix like "a"* stands for a hundred words.
func bigVocabulary() []string {
	words := []string{"a", "i", "to", "the", "is", "it", "ok", "so"}
	syllables := []string{"al", "an", "ar", "be", "co", "da", "el", "fo", "ga", "hi",
		"in", "ka", "lo", "mi", "no", "pa", "ra", "su", "te", "vo", "wu", "xe", "yo", "ze"}
	for _, a := range syllables {
		for _, b := range syllables {
			if len(words) < 608 {
				words = append(words, a+b+"t")
			}
		}
	}
	return words
}

// fillHistory writes n lines (seq 1..n, spread over bigRoom and otherRoom)
// straight into the tables in large transactions, indexing them the way
// the Append writer does: far faster than Append, for tests of cost. Each
// line has nine words: two of the eight common ones, six made-up ones
// skewed towards the start of the vocabulary, and one abcN.
func fillHistory(t testing.TB, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	vocab := bigVocabulary()
	if _, err := s.wdb.ExecContext(ctx, `CREATE TEMP TABLE vocab (k INTEGER PRIMARY KEY, w TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	defer s.wdb.ExecContext(ctx, `DROP TABLE temp.vocab`)
	var values []string
	for i, w := range vocab {
		values = append(values, fmt.Sprintf("(%d, '%s')", i, w))
	}
	if _, err := s.wdb.ExecContext(ctx, `INSERT INTO temp.vocab VALUES `+strings.Join(values, ",")); err != nil {
		t.Fatal(err)
	}
	// word(j) picks a skewed pseudo-random vocabulary index for line i.
	word := func(j int) string {
		j += 2
		h := fmt.Sprintf("((i * %d + %d) %% 1000003)", 7919+j*104729, j*31337)
		return fmt.Sprintf("(SELECT w FROM temp.vocab WHERE k = (%[1]s %% %[2]d) * (%[1]s / 7 %% %[2]d) / %[2]d)", h, len(vocab))
	}
	// Two words of every line are the common ones, as in real chat ("the"
	// is in one line of four), six are the made-up ones.
	common := func(j int) string {
		return fmt.Sprintf("(SELECT w FROM temp.vocab WHERE k = (i * %d + %d) %% 1000003 %% 8)", 7907+j*15485863, j*17)
	}
	text := []string{common(0), common(1)}
	for j := range 6 {
		text = append(text, word(j))
	}
	// And one of 5,000 words that share a prefix ("abc0" to "abc4999"), so
	// that "abc"* makes the index merge 5,000 lists of lines.
	text = append(text, "'abc' || (i % 5000)")
	insert := `WITH RECURSIVE c(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM c WHERE i < ?)
		INSERT INTO history (room, seq, time, kind, from_nick, from_key, to_nick, to_key, text)
		SELECT CASE WHEN i % 10 = 0 THEN '` + otherRoom + `' ELSE '` + bigRoom + `' END,
			i, 1700000000000000 + i * 1000000, 'msg', 'nick' || (i % 50), '', '', '',
			` + strings.Join(text, " || ' ' || ") + `
		FROM c`
	const chunk = 100_000
	for lo := 1; lo <= n; lo += chunk {
		hi := min(lo+chunk-1, n)
		err := s.writeTx(ctx, "fill history", func(tx *sql.Tx) error {
			var first, last int64
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM history`).Scan(&first); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, insert, lo, hi); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM history`).Scan(&last); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO history_fts (rowid, text) SELECT id, text FROM history WHERE id BETWEEN ? AND ?`, first, last); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO room_seq (room, seq) VALUES (?, ?), (?, ?)
				ON CONFLICT (room) DO UPDATE SET seq = max(seq, excluded.seq)`, bigRoom, hi, otherRoom, hi)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("generated %d lines of history in %v", n, time.Since(start).Round(time.Millisecond))
}
