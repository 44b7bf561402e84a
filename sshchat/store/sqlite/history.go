package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// pending is one queued Append.
type pending struct {
	m    store.Message
	done func(uint64, error)
}

// Append queues m for the group-commit writer. While the queue
// (Options.QueueSize, 8192 by default) is full it waits at most
// Options.QueueWait (2 s by default), then calls committed with
// store.ErrBusy: a writer stuck on the disk must not stop its callers for
// good. committed runs on the writer goroutine and must neither block for
// long nor call Append. After Close, committed is called with
// store.ErrClosed before Append returns.
func (s *Store) Append(m store.Message, committed func(uint64, error)) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		if committed != nil {
			committed(0, store.ErrClosed)
		}
		return
	}
	p := pending{m: m, done: committed}
	select {
	case s.queue <- p:
		s.mu.RUnlock()
		return
	default:
	}
	timer := time.NewTimer(s.queueWait)
	var err error
	select {
	case s.queue <- p:
	case <-s.closing:
		err = store.ErrClosed
	case <-timer.C:
		err = store.ErrBusy
	}
	s.mu.RUnlock()
	timer.Stop()
	if err != nil && committed != nil {
		committed(0, err)
	}
}

// writer is the single goroutine that writes Appends: it batches whatever
// is queued, commits it in one transaction and calls the callbacks in
// order. It exits when Close has closed the queue and it is drained.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]pending, 0, s.maxBatch)
	errs := make([]error, s.maxBatch)
	seqs := make([]uint64, s.maxBatch)
	var window commitWindow
	defer window.stop()
	for {
		p, ok := <-s.queue
		if !ok {
			return
		}
		batch = append(batch[:0], p)
		batch = window.gather(s, batch)
	fill:
		for len(batch) < s.maxBatch {
			select {
			case p, ok := <-s.queue:
				if !ok {
					break fill // closed; the next receive ends the loop
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		s.commitBatch(batch, errs[:len(batch)], seqs[:len(batch)])
		clear(batch) // drop references to the messages and callbacks
		clear(errs)
		clear(seqs)
	}
}

// commitBatch writes batch and calls every callback exactly once, in order,
// even if writing panics.
func (s *Store) commitBatch(batch []pending, errs []error, seqs []uint64) {
	called := 0
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("store: panic in history writer", "panic", r, "stack", string(debug.Stack()))
			err := fmt.Errorf("append history batch: panic: %v", r)
			for ; called < len(batch); called++ {
				s.callback(batch[called].done, 0, err)
			}
			clear(s.lastSeq) // numbers given in this batch were not stored
		}
	}()
	start := time.Now()
	s.writeBatch(batch, errs, seqs)
	if s.onCommit != nil {
		s.onCommit(len(batch), time.Since(start))
	}
	for ; called < len(batch); called++ {
		seq := seqs[called]
		if errs[called] != nil {
			seq = 0
		}
		s.callback(batch[called].done, seq, errs[called])
	}
}

// callback calls done(seq, err), logging instead of dying if it panics.
func (s *Store) callback(done func(uint64, error), seq uint64, err error) {
	if done == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("store: panic in Append callback", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	done(seq, err)
}

const insertHistory = `INSERT INTO history
	(room, seq, time, kind, from_nick, from_key, to_nick, to_key, text)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (room, seq) DO NOTHING`

// writeBatch writes batch in one transaction and sets errs[i] to the
// outcome of batch[i] and seqs[i] to its sequence number: a room message
// without one gets its room's next, in batch order. A message that is
// invalid or whose seq is already stored fails alone; a database error
// fails the whole batch (and the numbers it gave are forgotten, so the
// next batch reads them again from the database).
func (s *Store) writeBatch(batch []pending, errs []error, seqs []uint64) {
	failAll := func(err error) {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		clear(s.lastSeq)
	}
	s.batches.Add(1)
	ctx := context.Background()
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		failAll(fmt.Errorf("append history batch: begin: %w", err))
		return
	}
	defer tx.Rollback() // no-op after Commit; frees the connection on panic
	ins := tx.StmtContext(ctx, s.appendStmts[stmtHistory])
	defer ins.Close()

	top := make(map[string]int64, 4)
	var firstID, lastID int64 // rows inserted by this batch, for the FTS index
	var priv *sql.Stmt        // taken on the first private message
	for i, p := range batch {
		m := p.m
		if err := checkMessage(m); err != nil {
			errs[i] = err
			continue
		}
		if m.Room == "" {
			if priv == nil {
				priv = tx.StmtContext(ctx, s.appendStmts[stmtPrivate])
				defer priv.Close()
			}
			if _, err := priv.ExecContext(ctx, m.Time.UnixMicro(), m.Kind, m.From, m.FromKey, m.To, m.ToKey, m.Text); err != nil {
				failAll(fmt.Errorf("append history batch: insert private message: %w", err))
				return
			}
			continue
		}
		last, err := s.roomLastSeq(ctx, tx, m.Room)
		if err != nil {
			failAll(fmt.Errorf("append history batch: %w", err))
			return
		}
		if m.Seq == 0 {
			m.Seq = last + 1
		}
		seqs[i] = m.Seq
		res, err := ins.ExecContext(ctx, m.Room, int64(m.Seq), m.Time.UnixMicro(), m.Kind,
			m.From, m.FromKey, m.To, m.ToKey, m.Text)
		if err != nil {
			failAll(fmt.Errorf("append history batch: insert %s seq %d: %w", m.Room, m.Seq, err))
			return
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			errs[i] = fmt.Errorf("append %s seq %d: sequence number already stored", m.Room, m.Seq)
			continue
		}
		if id, err := res.LastInsertId(); err == nil {
			if firstID == 0 {
				firstID = id
			}
			lastID = id
		}
		if seq := int64(m.Seq); seq > top[m.Room] {
			top[m.Room] = seq
		}
		s.lastSeq[m.Room] = max(last, m.Seq)
	}
	roomSeq := tx.StmtContext(ctx, s.appendStmts[stmtRoomSeq])
	defer roomSeq.Close()
	for room, seq := range top {
		if _, err := roomSeq.ExecContext(ctx, room, seq); err != nil {
			failAll(fmt.Errorf("append history batch: room sequence %s: %w", room, err))
			return
		}
	}
	if s.fts && firstID != 0 {
		index := tx.StmtContext(ctx, s.appendStmts[stmtIndex])
		defer index.Close()
		if _, err := index.ExecContext(ctx, firstID, lastID); err != nil {
			failAll(fmt.Errorf("append history batch: index text: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(fmt.Errorf("append history batch: commit: %w", err))
	}
}

const insertPrivate = `INSERT INTO private
	(time, kind, from_nick, from_key, to_nick, to_key, text) VALUES (?, ?, ?, ?, ?, ?, ?)`

// The group commit's statements, by index into Store.appendStmts.
const (
	stmtHistory = iota
	stmtPrivate
	stmtRoomSeq
	stmtIndex
	numAppendStmts
)

// prepareAppend prepares the group commit's statements on the write
// connection. Without FTS5 the index statement is not prepared (nil).
func (s *Store) prepareAppend(ctx context.Context) error {
	queries := [numAppendStmts]string{
		stmtHistory: insertHistory,
		stmtPrivate: insertPrivate,
		stmtRoomSeq: `INSERT INTO room_seq (room, seq) VALUES (?, ?)
			ON CONFLICT (room) DO UPDATE SET seq = max(seq, excluded.seq)`,
		stmtIndex: `INSERT INTO history_fts (rowid, text)
			SELECT id, text FROM history WHERE id BETWEEN ? AND ?`,
	}
	for i, q := range queries {
		if i == stmtIndex && !s.fts {
			continue
		}
		st, err := s.wdb.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare history statements: %w", err)
		}
		s.appendStmts[i] = st
	}
	return nil
}

// roomLastSeq returns the highest sequence number stored for room, from
// the writer's cache or else from the database (inside tx, so it sees the
// batch's own rows).
func (s *Store) roomLastSeq(ctx context.Context, tx *sql.Tx, room string) (uint64, error) {
	if last, ok := s.lastSeq[room]; ok {
		return last, nil
	}
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT seq FROM room_seq WHERE room = ?`, room).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		last = 0
	} else if err != nil {
		return 0, fmt.Errorf("read the sequence number of %s: %w", room, err)
	}
	s.lastSeq[room] = uint64(last)
	return uint64(last), nil
}

// checkMessage rejects what Append cannot store.
func checkMessage(m store.Message) error {
	switch {
	case m.Time.IsZero() && m.Room == "":
		return fmt.Errorf("append private message from %s: message has no time", m.From)
	case m.Room == "":
		return nil
	case m.Seq > math.MaxInt64:
		return fmt.Errorf("append %s: sequence number %d out of range 1..2^63-1", m.Room, m.Seq)
	case m.Time.IsZero():
		return fmt.Errorf("append %s seq %d: message has no time", m.Room, m.Seq)
	}
	return nil
}

// LastSeqs returns the highest Seq ever appended to each room.
func (s *Store) LastSeqs(ctx context.Context) (map[string]uint64, error) {
	rows, err := s.query(ctx, "last sequence numbers", `SELECT room, seq FROM room_seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seqs := make(map[string]uint64)
	for rows.Next() {
		var room string
		var seq int64
		if err := rows.Scan(&room, &seq); err != nil {
			return nil, fmt.Errorf("last sequence numbers: %w", err)
		}
		seqs[room] = uint64(seq)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("last sequence numbers: %w", err)
	}
	return seqs, nil
}

const messageColumns = `room, seq, time, kind, from_nick, from_key, to_nick, to_key, text`

// scanMessages reads rows of messageColumns.
func scanMessages(rows *sql.Rows) ([]store.Message, error) {
	defer rows.Close()
	var ms []store.Message
	for rows.Next() {
		var m store.Message
		var seq int64
		var t sql.NullInt64
		if err := rows.Scan(&m.Room, &seq, &t, &m.Kind, &m.From, &m.FromKey, &m.To, &m.ToKey, &m.Text); err != nil {
			return nil, err
		}
		m.Seq = uint64(seq)
		m.Time = goTime(t)
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// Recent returns the newest limit messages of room with Seq < before
// (before == 0: no bound), oldest first.
func (s *Store) Recent(ctx context.Context, room string, before uint64, limit int) ([]store.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	if before == 0 || before > math.MaxInt64 {
		before = math.MaxInt64
	}
	rows, err := s.query(ctx, "recent history of "+room, `SELECT `+messageColumns+` FROM history
		WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, room, int64(before), limit)
	if err != nil {
		return nil, err
	}
	ms, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("recent history of %s: %w", room, err)
	}
	slices.Reverse(ms)
	return ms, nil
}

// pruneChunk bounds the rows one PruneBefore transaction deletes, so the
// Append writer never waits long behind it.
const pruneChunk = 2000

// PruneBefore deletes room messages (and appended private messages) with
// Time before t, a chunk per transaction, and returns how many. LastSeqs is
// not affected. Offline messages are kept until taken.
func (s *Store) PruneBefore(ctx context.Context, t time.Time) (int64, error) {
	n, err := s.prune(ctx, "history", t)
	if err != nil {
		return n, err
	}
	m, err := s.prune(ctx, "private", t)
	return n + m, err
}

// prune deletes the rows of table (history or private) older than t.
func (s *Store) prune(ctx context.Context, table string, t time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.exec(ctx, "prune "+table, `DELETE FROM `+table+` WHERE id IN
			(SELECT id FROM `+table+` WHERE time < ? LIMIT ?)`, t.UnixMicro(), pruneChunk)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", table, err)
		}
		total += n
		if n < pruneChunk {
			return total, nil
		}
	}
}
