package sshd

import (
	"sync/atomic"

	"github.com/charmbracelet/ssh"
)

// ptyState is what the server knows of a session's terminal. The library's
// Session.Pty races with window changes (charmbracelet/ssh#58), so the size
// lives here.
//
// Window changes never reach the library: whoever owns the channel's
// requests (the filter before the start, then the session's writer, then a
// drain goroutine after it: channelRequests) applies them here and hands
// the latest to the session's writer through changes, without ever
// blocking. The library's
// own window channel, which must be drained or its request loop blocks,
// only ever holds the pty-req's size in its buffer of one, so no goroutine
// drains it and the library's request loop can end when the session
// starts: two goroutines fewer per session than draining it.
type ptyState struct {
	term string // set by ptyRequest, before the session starts
	// granted: the library accepted the pty-req (ptyRequest ran); the
	// filter makes the state when it forwards one, which the library may
	// still refuse. Set before the session starts, like term.
	granted bool
	size    atomic.Uint64
	changes chan ssh.Window // the latest change the writer has not applied yet
}

func newPtyState(w ssh.Window) *ptyState {
	st := &ptyState{changes: make(chan ssh.Window, 1)}
	st.setSize(w)
	return st
}

// changed records a window change and queues it for the writer, replacing
// one it has not taken yet. Only the owner of the channel's requests calls
// it (one goroutine at a time), so the loop ends by its second turn.
func (p *ptyState) changed(w ssh.Window) {
	p.setSize(w)
	for {
		select {
		case p.changes <- w:
			return
		default:
		}
		select {
		case <-p.changes: // stale: the writer applies the latest only
		default:
		}
	}
}

// Terminal sizes clients may claim are clamped: 0 or 60,000 columns must
// not break layout maths or allocate huge lines.
const (
	minWidth, maxWidth   = 20, 1000
	minHeight, maxHeight = 2, 500
	defaultW, defaultH   = 80, 24
)

func clamp(v, lo, hi, zero int) int {
	switch {
	case v <= 0:
		return zero
	case v < lo:
		return lo
	case v > hi:
		return hi
	}
	return v
}

func (p *ptyState) setSize(w ssh.Window) {
	width := clamp(w.Width, minWidth, maxWidth, defaultW)
	height := clamp(w.Height, minHeight, maxHeight, defaultH)
	p.size.Store(uint64(width)<<32 | uint64(height))
}

func (p *ptyState) dims() (width, height int) {
	v := p.size.Load()
	return int(v >> 32), int(v & 0xffffffff)
}

type ptyKey struct{ sess ssh.Session }

// ptyRequest handles a pty-req on the library's request goroutine, after
// the channel's request filter has made the session's ptyState (with the
// size the pty-req asked for): it keeps it where the session handler finds
// it. No pty is allocated; the chat terminal is emulated in-process.
func (s *Server) ptyRequest(ctx ssh.Context, sess ssh.Session, p ssh.Pty) (func() error, error) {
	st := ptyStateOf(sess)
	if st == nil { // not a channel of sessionChannel's (never so today)
		st = newPtyState(p.Window)
		// The connection's context outlives the session and nothing
		// removes this: only for channels we do not track.
		ctx.SetValue(ptyKey{sess}, st)
	}
	st.term = p.Term
	st.granted = true
	return func() error { return nil }, nil
}

// grantedPty returns the pty state of sess if its pty-req was granted:
// from the tracked channel (nothing is kept in the connection's context,
// which outlives every session of the connection), else from the context.
func grantedPty(ctx ssh.Context, sess ssh.Session) (*ptyState, bool) {
	if st := ptyStateOf(sess); st != nil {
		return st, st.granted
	}
	st, ok := ctx.Value(ptyKey{sess}).(*ptyState)
	return st, ok
}

// takeWindows returns the window changes for the session's writer.
func (p *ptyState) takeWindows() <-chan ssh.Window { return p.changes }
