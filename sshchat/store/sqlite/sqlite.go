package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/sshchat/sshchat/sshchat/store"
)

// Options tune Open. The zero value is a sensible default.
type Options struct {
	// Synchronous is SQLite's synchronous setting: "NORMAL" (default;
	// survives a process crash, a power loss may lose the last commits) or
	// "FULL" (survives power loss; one fsync per group commit).
	Synchronous string
	// BusyTimeout bounds how long a connection waits for a lock held by
	// another process (default 5s).
	BusyTimeout time.Duration
	// QueueSize bounds the Append queue (default 8192 messages).
	QueueSize int
	// QueueWait bounds how long Append waits while the queue is full
	// before failing the message with store.ErrBusy (default 2s).
	QueueWait time.Duration
	// MaxBatch bounds the messages written by one group commit (default 1024).
	MaxBatch int
	// CommitWindow is the least time between the starts of two group
	// commits while lines keep coming (default 0: none). A line that
	// finds the store idle is committed at once; lines that arrive within
	// the window after a commit wait for its end and are committed
	// together, in one transaction and one FTS index update (see
	// commitwindow.go).
	CommitWindow time.Duration
	// ReadConns is the size of the read pool (default 4, at least
	// GOMAXPROCS).
	ReadConns int
	// SearchConns is how many searches may run at once, each on its own
	// connection apart from the read pool (default GOMAXPROCS/2, at least
	// 1). Further searches wait for one while their context allows.
	SearchConns int
	// SearchBudget bounds the time one search may run (default 1s); a
	// search stopped by it returns store.ErrSearchTooBroad.
	SearchBudget time.Duration
	// Logger receives writer errors and recovered panics (default slog.Default()).
	Logger *slog.Logger
	// OnCommit, if set, is told the size and duration of each group
	// commit (for metrics). It runs on the writer goroutine: keep it short.
	OnCommit func(batch int, took time.Duration)
}

// Store is the SQLite store.Store. Its methods are safe for concurrent use.
type Store struct {
	wdb *sql.DB // one connection, BEGIN IMMEDIATE
	rdb *sql.DB // read pool, query_only
	sdb *sql.DB // search pool, query_only: see search.go
	log *slog.Logger
	fts bool // history_fts exists

	// The group commit's statements, prepared once on the write
	// connection: a batch at a quiet moment holds one line, and parsing
	// four statements for it would cost about as much as writing it.
	appendStmts [numAppendStmts]*sql.Stmt
	// lastSeq caches each room's highest sequence number for the writer,
	// which alone reads and writes it (no lock): it assigns the next ones.
	lastSeq map[string]uint64

	searchSlots  chan struct{} // one token per search connection
	searchBudget time.Duration
	searchHook   atomic.Pointer[func(context.Context)] // tests only

	maxBatch  int
	queueWait time.Duration
	queue     chan pending
	closing   chan struct{} // closed first by Close: Appends waiting for room give up
	mu        sync.RWMutex  // guards closed against Append's send; a leaf lock
	closed    bool
	done      chan struct{} // closed when the writer has exited
	batches   atomic.Uint64 // group commits attempted (for benchmarks and tests)
	onCommit  func(batch int, took time.Duration)

	commitWindow time.Duration // see commitwindow.go; read by the writer only

	unlock    func() // releases the lock on the database (lockFile)
	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// ErrInUse is Open's answer when another process has the database open.
var ErrInUse = errors.New("another sshchat is already using this data folder; stop it first or choose another --data")

// Open opens (creating if needed) the database at path, applies pending
// schema migrations and starts the group-commit writer. It holds an OS lock
// on path+".lock" until Close, and fails with ErrInUse while another
// process holds it.
func Open(path string, opts Options) (_ *Store, err error) {
	syncMode := strings.ToUpper(opts.Synchronous)
	switch syncMode {
	case "":
		syncMode = "NORMAL"
	case "NORMAL", "FULL":
	default:
		return nil, fmt.Errorf("open store: synchronous %q: want NORMAL or FULL", opts.Synchronous)
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 8192
	}
	if opts.QueueWait <= 0 {
		opts.QueueWait = 2 * time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1024
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if opts.SearchConns <= 0 {
		opts.SearchConns = defaultSearchConns()
	}
	if opts.SearchBudget <= 0 {
		opts.SearchBudget = defaultSearchBudget
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}

	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open store: create folder: %w", err)
	}
	unlock, err := lockFile(abs + ".lock")
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()
	// Create the file ourselves so that it (and the -wal and -shm files,
	// which SQLite gives the same mode) is private.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	f.Close()

	base := "file:" + (&url.URL{Path: abs}).EscapedPath()
	busy := strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+busy+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+syncMode+")")
	wq := url.Values{}
	for k, v := range q {
		wq[k] = append([]string(nil), v...)
	}
	wq.Add("_pragma", "journal_mode(WAL)")
	wq.Set("_txlock", "immediate")
	rq := q
	rq.Add("_pragma", "query_only(1)")

	s := &Store{
		unlock:    unlock,
		log:       opts.Logger,
		maxBatch:  opts.MaxBatch,
		queueWait: opts.QueueWait,
		onCommit:  opts.OnCommit,
		queue:     make(chan pending, opts.QueueSize),
		closing:   make(chan struct{}),
		lastSeq:   make(map[string]uint64),
		done:      make(chan struct{}),

		searchSlots:  make(chan struct{}, opts.SearchConns),
		searchBudget: opts.SearchBudget,
		commitWindow: max(opts.CommitWindow, 0),
	}
	s.wdb, err = sql.Open("sqlite", base+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)

	ctx := context.Background()
	if err := s.migrate(ctx); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	if err := s.indexLookalikes(ctx); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	var mode string
	if err := s.wdb.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || !strings.EqualFold(mode, "wal") {
		s.wdb.Close()
		return nil, fmt.Errorf("open store %s: journal mode %q, want wal (%v)", abs, mode, err)
	}
	if err := s.wdb.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'history_fts'").Scan(&s.fts); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}

	if err := s.prepareAppend(ctx); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}

	s.rdb, err = sql.Open("sqlite", base+"?"+rq.Encode())
	if err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	s.rdb.SetMaxOpenConns(opts.ReadConns)
	s.rdb.SetMaxIdleConns(opts.ReadConns)
	if err := s.rdb.PingContext(ctx); err != nil {
		s.rdb.Close()
		s.wdb.Close()
		return nil, fmt.Errorf("open store %s: read pool: %w", abs, err)
	}

	s.sdb, err = sql.Open("sqlite", base+"?"+rq.Encode())
	if err != nil {
		s.rdb.Close()
		s.wdb.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	s.sdb.SetMaxOpenConns(opts.SearchConns)
	s.sdb.SetMaxIdleConns(opts.SearchConns)

	go s.writer()
	return s, nil
}

// Close stops accepting Appends, commits everything already queued (calling
// the callbacks), stops the writer and closes the database (which
// checkpoints the WAL into the main file). Calling Close again returns the
// first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.mu.Lock()
		s.closed = true
		close(s.queue)
		s.mu.Unlock()
		<-s.done
		for _, st := range s.appendStmts {
			if st != nil {
				st.Close()
			}
		}
		s.closeErr = errors.Join(s.sdb.Close(), s.rdb.Close(), s.wdb.Close())
		s.unlock() // after the database is closed: nobody else writes before
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("close store: %w", s.closeErr)
		}
	})
	return s.closeErr
}

// usable reports ErrClosed once Close has begun.
func (s *Store) usable() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	return nil
}

// writeTx runs fn in one IMMEDIATE transaction on the write connection.
func (s *Store) writeTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	if err := s.usable(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// exec runs one write statement on the write connection.
func (s *Store) exec(ctx context.Context, what, query string, args ...any) (sql.Result, error) {
	if err := s.usable(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	r, err := s.wdb.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return r, nil
}

// query runs one read on the read pool.
func (s *Store) query(ctx context.Context, what, query string, args ...any) (*sql.Rows, error) {
	if err := s.usable(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return rows, nil
}

// Times are INTEGER microseconds since the epoch; the zero time is NULL.

func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func goTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}
