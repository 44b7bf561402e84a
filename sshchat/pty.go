package sshchat

import (
	"sync/atomic"

	"github.com/charmbracelet/ssh"
)

// ptyState is what the server knows of a session's terminal. The library's
// Session.Pty races with window changes (charmbracelet/ssh#58), so the size
// lives here, written by the window drain and read by the session's writer.
type ptyState struct {
	term    string
	size    atomic.Uint64 // width<<32 | height, clamped
	resized chan struct{} // signalled on every window change
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
	select {
	case p.resized <- struct{}{}:
	default:
	}
}

func (p *ptyState) dims() (width, height int) {
	v := p.size.Load()
	return int(v >> 32), int(v & 0xffffffff)
}

type ptyKey struct{ sess ssh.Session }

// ptyRequest handles a pty-req on the session's request goroutine. It must
// start draining window changes right here: a window-change that arrives
// before "shell" would otherwise block the request loop, and the session
// with it. No pty is allocated; the chat terminal is emulated in-process.
func (s *Server) ptyRequest(ctx ssh.Context, sess ssh.Session, p ssh.Pty) (func() error, error) {
	st := &ptyState{term: p.Term, resized: make(chan struct{}, 1)}
	st.setSize(p.Window)
	_, windows, _ := sess.Pty() // on the request goroutine: no race yet
	ctx.SetValue(ptyKey{sess}, st)
	// The library closes windows when the channel's requests end, which
	// ends this goroutine.
	go func() {
		defer s.recoverPanic("window drain")
		for w := range windows {
			st.setSize(w)
		}
	}()
	return func() error { return nil }, nil
}
