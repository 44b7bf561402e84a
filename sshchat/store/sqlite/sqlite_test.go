// Over 400 lines: the SQLite engine's own tests beyond the conformance
// suite (group commit, migrations, a stuck writer, panics in callbacks).

package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/storetest"
)

func open(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "chat.db"), Options{})
	})
}

func TestConformanceFull(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "chat.db"), Options{Synchronous: "full", MaxBatch: 7, QueueSize: 3})
	})
}

func TestFTS5Available(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{})
	if !s.fts {
		t.Fatal("modernc.org/sqlite has no FTS5: Search falls back to LIKE")
	}
}

func TestSearchLikeFallback(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{})
	s.fts = false // as if the driver lacked FTS5
	storetest.AppendWait(t, s, storetest.Msg("#a", 1, "Hello World"), storetest.Msg("#a", 2, "hello there"))
	got, err := s.Search(t.Context(), "#a", "HELLO wor", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Text != "Hello World" {
		t.Errorf("LIKE search = %+v", got)
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "sub")
	path := filepath.Join(dir, "chat.db")
	s := open(t, path, Options{})
	storetest.AppendWait(t, s, storetest.Msg("#a", 1, "x"))
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", fi.Mode().Perm())
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode %v, want private", filepath.Base(p), fi.Mode().Perm())
		}
	}
	var mode string
	var syncMode, fk int
	s.wdb.QueryRow("PRAGMA journal_mode").Scan(&mode)
	s.wdb.QueryRow("PRAGMA synchronous").Scan(&syncMode)
	s.wdb.QueryRow("PRAGMA foreign_keys").Scan(&fk)
	if mode != "wal" || syncMode != 1 || fk != 1 {
		t.Errorf("journal_mode %q synchronous %d foreign_keys %d, want wal 1 (NORMAL) 1", mode, syncMode, fk)
	}
}

func TestOptions(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "x.db"), Options{Synchronous: "OFF"}); err == nil {
		t.Error("Synchronous OFF accepted")
	}
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{Synchronous: "FULL"})
	var syncMode int
	s.wdb.QueryRow("PRAGMA synchronous").Scan(&syncMode)
	if syncMode != 2 {
		t.Errorf("synchronous = %d, want 2 (FULL)", syncMode)
	}
}

func TestDurableAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	storetest.AppendWait(t, s, storetest.Msg("#a", 1, "one"), storetest.Msg("#a", 2, "two"))
	for i := uint64(3); i <= 100; i++ {
		s.Append(storetest.Msg("#a", i, fmt.Sprint(i)), nil) // flushed by Close
	}
	s.ClaimNick(ctx, "Alice", "SHA256:a")
	s.AddBan(ctx, store.Ban{Target: "ip:192.0.2.1", Reason: "r"})
	s.SaveRoom(ctx, store.RoomInfo{Name: "#a", Topic: "t"})
	s.SetPref(ctx, "SHA256:a", "theme", "dark")
	s.SaveOffline(ctx, store.Message{Time: storetest.Msg("", 1, "").Time, Kind: "pm", ToKey: "SHA256:b", Text: "psst"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("WAL file left after Close (err %v): Close should checkpoint", err)
	}

	s = open(t, path, Options{})
	got, err := s.Recent(ctx, "#a", 0, 1000)
	if err != nil || len(got) != 100 || got[0].Text != "one" || got[99].Text != "100" {
		t.Errorf("Recent after reopen: %d messages, err %v", len(got), err)
	}
	seqs, _ := s.LastSeqs(ctx)
	owner, _ := s.NickOwner(ctx, "alice")
	bans, _ := s.Bans(ctx, storetest.Msg("", 1, "").Time)
	rooms, _ := s.LoadRooms(ctx)
	prefs, _ := s.Prefs(ctx, "SHA256:a")
	pms, _ := s.PeekOffline(ctx, "SHA256:b")
	if seqs["#a"] != 100 || owner != "SHA256:a" || len(bans) != 1 || len(rooms) != 1 || rooms[0].Topic != "t" ||
		prefs["theme"] != "dark" || len(pms) != 1 {
		t.Errorf("after reopen: seqs %v owner %q bans %v rooms %v prefs %v offline %v", seqs, owner, bans, rooms, prefs, pms)
	}
}

// TestCrashCopy copies the database and its WAL while the store is open and
// idle (every commit acknowledged, nothing checkpointed, no Close): the copy
// is what a kill -9 leaves behind. Reopening it must show every message.
func TestCrashCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chat.db")
	s := open(t, path, Options{})
	const n = 1000
	var ms []store.Message
	for i := uint64(1); i <= n; i++ {
		ms = append(ms, storetest.Msg(fmt.Sprint("#r", i%7), i, fmt.Sprint("line ", i)))
	}
	storetest.AppendWait(t, s, ms...)
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("no WAL file while open: %v", err)
	}
	crash := filepath.Join(dir, "crash", "chat.db")
	os.Mkdir(filepath.Dir(crash), 0o700)
	for _, suffix := range []string{"", "-wal"} { // no -shm: it is rebuilt
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crash+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := open(t, crash, Options{})
	checkAll(t, c, n, func(seq uint64) string { return fmt.Sprint("#r", seq%7) })
}

// checkAll checks that seqs 1..n are stored in room(seq).
func checkAll(t *testing.T, s *Store, n uint64, room func(uint64) string) {
	t.Helper()
	found := map[uint64]bool{}
	seqs, err := s.LastSeqs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for r := range seqs {
		ms, err := s.Recent(t.Context(), r, 0, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Room != room(m.Seq) {
				t.Fatalf("seq %d in room %s, want %s", m.Seq, m.Room, room(m.Seq))
			}
			found[m.Seq] = true
		}
	}
	for seq := uint64(1); seq <= n; seq++ {
		if !found[seq] {
			t.Fatalf("acknowledged seq %d lost (%d of %d found)", seq, len(found), n)
		}
	}
}

const (
	crashHelperEnv = "SSHCHAT_STORE_CRASH_HELPER"
	crashAcks      = 2000 // acknowledged messages before the kill
)

// crashHelper runs in a child process: it appends forever from many
// goroutines and prints "ack SEQ" after each commit is acknowledged, until
// the parent kills it with SIGKILL.
func crashHelper() {
	s, err := Open(os.Getenv(crashHelperEnv), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var seq uint64
	for range 32 {
		go func() {
			for {
				mu.Lock()
				seq++
				m := storetest.Msg(fmt.Sprint("#r", seq%5), seq, "crash test line")
				// Appending under mu keeps each room's seqs in queue order.
				done := make(chan struct{})
				s.Append(m, func(_ uint64, err error) {
					if err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(3)
					}
					out.WriteString("ack " + strconv.FormatUint(m.Seq, 10) + "\n")
					if len(s.queue) == 0 {
						out.Flush() // flush only what is committed, once per batch
					}
					close(done)
				})
				mu.Unlock()
				<-done
			}
		}()
	}
	select {}
}

// TestCrashKill appends from a child process, kills it with SIGKILL while
// it is writing, and checks that every acknowledged message is in the
// database, which opens without repair.
func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "chat.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]bool{}
	r := bufio.NewReader(stdout)
	killed := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break // EOF; a line cut by the kill has no newline and was not acked
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(line, "ack "), "\n"), 10, 64)
		if err != nil {
			t.Fatalf("helper said %q", line)
		}
		acked[seq] = true
		if len(acked) >= crashAcks && !killed {
			cmd.Process.Kill() // SIGKILL, mid-stream
			killed = true
		}
	}
	io.Copy(io.Discard, stdout)
	cmd.Wait()
	if !killed {
		t.Fatalf("helper exited early after %d acks: %s", len(acked), stderr.String())
	}
	s := open(t, path, Options{})
	var check string
	if err := s.wdb.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check: %q, %v", check, err)
	}
	var max uint64
	for seq := range acked {
		max = maxU(max, seq)
	}
	found := 0
	seqs, _ := s.LastSeqs(t.Context())
	for r := range seqs {
		ms, _ := s.Recent(t.Context(), r, 0, 1<<30)
		for _, m := range ms {
			if acked[m.Seq] {
				found++
			}
		}
	}
	if found != len(acked) {
		t.Fatalf("%d of %d acknowledged messages survived the kill", found, len(acked))
	}
	t.Logf("killed after %d acks (highest %d); all present", len(acked), max)
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	version := func(s *Store) int {
		var v int
		if err := s.wdb.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := version(s); v != len(migrations) {
		t.Errorf("fresh database at version %d, want %d", v, len(migrations))
	}
	s.Close()
	s, err = Open(path, Options{}) // re-open: nothing to do
	if err != nil {
		t.Fatal(err)
	}
	if v := version(s); v != len(migrations) {
		t.Errorf("re-opened database at version %d, want %d", v, len(migrations))
	}
	if _, err := s.wdb.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this sshchat knows") {
		t.Errorf("opening a too-new database: %v, want a clear refusal", err)
	}
}

// TestMigrateFromV1 upgrades a version-1 database holding history: the FTS
// index of step 2 must cover the old rows.
func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := migrations[0].up(ctx, tx); err != nil {
		t.Fatal(err)
	}
	tx.Exec("PRAGMA user_version = 1")
	tx.Exec(`INSERT INTO history (room, seq, time, kind, from_nick, from_key, to_nick, to_key, text)
		VALUES ('#old', 1, 0, 'msg', 'a', '', '', '', 'ancient wisdom')`)
	tx.Exec(`INSERT INTO room_seq VALUES ('#old', 1)`)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := open(t, path, Options{})
	got, err := s.Search(ctx, "#old", "wisdom", 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("Search after migration: %+v, %v", got, err)
	}
	storetest.AppendWait(t, s, storetest.Msg("#old", 2, "new wisdom"))
	got, _ = s.Search(ctx, "#old", "wisdom", 10)
	if len(got) != 2 {
		t.Errorf("Search after append: %+v", got)
	}
}

// TestWriterSurvivesPanics: a panicking callback is logged and the writer
// goes on; every callback is still called once.
func TestWriterSurvivesPanics(t *testing.T) {
	var logs syncBuffer
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	var wg sync.WaitGroup
	wg.Add(3)
	var got []error
	var mu sync.Mutex
	record := func(_ uint64, err error) { mu.Lock(); got = append(got, err); mu.Unlock(); wg.Done() }
	s.Append(storetest.Msg("#a", 1, "x"), record)
	s.Append(storetest.Msg("#a", 2, "x"), func(_ uint64, err error) { record(0, err); panic("boom") })
	s.Append(storetest.Msg("#a", 3, "x"), record)
	wg.Wait()
	storetest.AppendWait(t, s, storetest.Msg("#a", 4, "x")) // still writing
	if len(got) != 3 || got[0] != nil || got[1] != nil || got[2] != nil {
		t.Errorf("callback errors = %v", got)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("panic not logged: %q", logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestAppendBatchError: a database failure fails the whole batch, each
// callback once, and the writer keeps going.
func TestAppendBatchError(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{})
	if _, err := s.wdb.Exec(`CREATE TRIGGER fail BEFORE INSERT ON history WHEN new.text = 'poison'
		BEGIN SELECT RAISE(ABORT, 'poisoned'); END`); err != nil {
		t.Fatal(err)
	}
	// Hold the writer in a callback so that the next two appends share a batch.
	release := make(chan struct{})
	held := make(chan struct{})
	s.Append(storetest.Msg("#a", 1, "first"), func(uint64, error) { close(held); <-release })
	<-held
	var wg sync.WaitGroup
	wg.Add(2)
	errs := make([]error, 2)
	s.Append(storetest.Msg("#a", 2, "ok"), func(_ uint64, err error) { errs[0] = err; wg.Done() })
	s.Append(storetest.Msg("#a", 3, "poison"), func(_ uint64, err error) { errs[1] = err; wg.Done() })
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "append history batch") {
			t.Errorf("append %d: %v, want a batch error", i, err)
		}
	}
	got, _ := s.Recent(t.Context(), "#a", 0, 10)
	if len(got) != 1 {
		t.Errorf("history after failed batch: %+v, want only the first line", got)
	}
	storetest.AppendWait(t, s, storetest.Msg("#a", 2, "ok"))
}
