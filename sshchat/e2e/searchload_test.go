package e2e

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
)

// TestSearchLoadFigures is a measurement, run by hand: eight guests run
// the same search over and over on a large #lobby history while ten keyed
// people join one after another and run one-shot `history 20`; it logs how
// long each join and each history took. Run it with
//
//	SSHCHAT_SEARCH_ROWS=1000000 go test -run TestSearchLoadFigures -v ./sshchat/
//
// (SSHCHAT_SEARCH_QUERY sets the guests' search; default the sixteen
// a's). The history budget is off, to measure the separation of searches
// from other reads alone.
func TestSearchLoadFigures(t *testing.T) {
	rows, _ := strconv.Atoi(os.Getenv("SSHCHAT_SEARCH_ROWS"))
	if rows <= 0 {
		t.Skip("a measurement: set SSHCHAT_SEARCH_ROWS to run it")
	}
	query := os.Getenv("SSHCHAT_SEARCH_QUERY")
	if query == "" {
		query = strings.TrimSpace(strings.Repeat("a ", 16))
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	start := time.Now()
	fillLobby(t, filepath.Join(dataDir, "sshchat.db"), rows)
	t.Logf("generated %d lines of #lobby history in %v", rows, time.Since(start).Round(time.Millisecond))
	srv := sshchattest.Start(t, sshchat.Config{DataDir: dataDir, HistoryBurst: -1})

	stop := make(chan struct{})
	var searchers sync.WaitGroup
	var mu sync.Mutex
	answers := 0
	for i := range 8 {
		g, err := sshchattest.TryDialFrom(t, srv.Addr, fmt.Sprintf("127.0.0.%d", i+2), sshchattest.Options{Guest: true})
		if err != nil {
			t.Fatal(err)
		}
		g.WaitFor("Welcome")
		searchers.Add(1)
		go func() {
			defer searchers.Done()
			for n := 1; ; n++ {
				if _, err := io.WriteString(g.Stdin(), "/search "+query+"\n"); err != nil {
					return
				}
				for countAnswers(g.Text()) < n {
					select {
					case <-stop:
						return
					case <-time.After(10 * time.Millisecond):
					}
				}
				mu.Lock()
				answers++
				mu.Unlock()
			}
		}()
	}
	defer searchers.Wait()
	defer close(stop)
	// Measure once the searches are in full swing: each guest has had an
	// answer and is waiting for the next.
	for deadline := time.Now().Add(2 * time.Minute); ; {
		mu.Lock()
		n := answers
		mu.Unlock()
		if n >= 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d searches answered in 2 minutes", n)
		}
		time.Sleep(10 * time.Millisecond) // a measurement, not a test: polling is fine
	}

	var joins, histories []time.Duration
	for i := range 10 {
		key := sshchattest.NewKey(t)
		start := time.Now()
		c := dialWelcome(t, srv.Addr, sshchattest.Options{User: fmt.Sprintf("late%d", i), Key: key})
		joins = append(joins, time.Since(start).Round(100*time.Microsecond))
		c.Close()
		start = time.Now()
		out, errOut, status := run(t, srv.Addr, key, "late", "history 20")
		if status != 0 || strings.Count(out, "\n") != 20 {
			t.Errorf("one-shot history: status %d, %d lines, %q", status, strings.Count(out, "\n"), errOut)
		}
		histories = append(histories, time.Since(start).Round(100*time.Microsecond))
	}
	slices.Sort(joins)
	slices.Sort(histories)
	mu.Lock()
	t.Logf("%d lines, 8 guests searching %q (%d answers meanwhile)", rows, query, answers)
	mu.Unlock()
	t.Logf("join to welcome, 10 keyed people, sorted: %v", joins)
	t.Logf("one-shot history 20, sorted: %v", histories)
}

// countAnswers counts the answers to searches in a guest's output.
func countAnswers(text string) int {
	n := 0
	for _, line := range lines(text) {
		if strings.HasPrefix(line, "*** ") && searchAnswered(line) {
			n++
		}
	}
	return n
}

// fillLobby creates the database at path with rows lines of #lobby
// history of chat-like words (and one of 5,000 words sharing the prefix
// "word" per line), written in large transactions and indexed the way the
// store's writer does.
func fillLobby(t *testing.T, path string, rows int) {
	t.Helper()
	st, err := sqlite.Open(path, sqlite.Options{}) // creates the schema
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	words := strings.Fields("a i to the is it ok so and you that what about also any after again all " +
		"around another actually agree answer app api auth alpha build deploy test")
	var vocab []string
	for i, w := range words {
		vocab = append(vocab, fmt.Sprintf("(%d, '%s')", i, w))
	}
	exec := func(tx *sql.Tx, q string, args ...any) {
		if _, err := tx.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	var text []string
	for j := range 8 {
		text = append(text, fmt.Sprintf("(SELECT w FROM temp.vocab WHERE k = (i * %d + %d) %% 1000003 %% %d)", 7919+j*104729, j*31, len(words)))
	}
	text = append(text, "'word' || (i % 5000)")
	for lo := 1; lo <= rows; lo += 100_000 {
		hi := min(lo+99_999, rows)
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if lo == 1 {
			exec(tx, `CREATE TEMP TABLE vocab (k INTEGER PRIMARY KEY, w TEXT NOT NULL)`)
			exec(tx, `INSERT INTO temp.vocab VALUES `+strings.Join(vocab, ", "))
		}
		var first, last int64
		if err := tx.QueryRow(`SELECT coalesce(max(id), 0) + 1 FROM history`).Scan(&first); err != nil {
			t.Fatal(err)
		}
		exec(tx, `WITH RECURSIVE c(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM c WHERE i < ?)
			INSERT INTO history (room, seq, time, kind, from_nick, from_key, to_nick, to_key, text)
			SELECT '#lobby', i, 1700000000000000 + i * 1000, 'msg', 'old', '', '', '',
				`+strings.Join(text, " || ' ' || ")+` FROM c`, lo, hi)
		if err := tx.QueryRow(`SELECT max(id) FROM history`).Scan(&last); err != nil {
			t.Fatal(err)
		}
		exec(tx, `INSERT INTO history_fts (rowid, text) SELECT id, text FROM history WHERE id BETWEEN ? AND ?`, first, last)
		exec(tx, `INSERT INTO room_seq (room, seq) VALUES ('#lobby', ?)
			ON CONFLICT (room) DO UPDATE SET seq = excluded.seq`, hi)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}
