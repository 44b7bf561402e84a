package sshd

import (
	"sync/atomic"

	"github.com/charmbracelet/ssh"
)

// ptyState is what the server knows of a session's terminal. The library's
// Session.Pty races with window changes (charmbracelet/ssh#58), so the size
// lives here.
//
// Window changes must be drained from the moment the pty is requested, or
// the session's request loop blocks. Until the shell starts, a small
// goroutine drains them; then the session's writer takes the channel over
// (takeWindows), which saves a goroutine per session for its whole life.
type ptyState struct {
	term    string
	size    atomic.Uint64 // width<<32 | height, clamped
	windows <-chan ssh.Window
	handoff chan struct{} // closed by takeWindows
	drained chan struct{} // closed when the early drain has stopped
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

// ptyRequest handles a pty-req on the session's request goroutine. It must
// start draining window changes right here: a window-change that arrives
// before "shell" would otherwise block the request loop, and the session
// with it. No pty is allocated; the chat terminal is emulated in-process.
func (s *Server) ptyRequest(ctx ssh.Context, sess ssh.Session, p ssh.Pty) (func() error, error) {
	_, windows, _ := sess.Pty() // on the request goroutine: no race yet
	st := &ptyState{term: p.Term, windows: windows, handoff: make(chan struct{}), drained: make(chan struct{})}
	st.setSize(p.Window)
	ctx.SetValue(ptyKey{sess}, st)
	// Ends at the handoff, or when the library closes windows as the
	// channel's requests end (a session that never starts a shell).
	go func() {
		defer close(st.drained)
		defer s.recoverPanic("window drain")
		for {
			select {
			case w, ok := <-windows:
				if !ok {
					return
				}
				st.setSize(w)
			case <-st.handoff:
				return
			}
		}
	}()
	return func() error { return nil }, nil
}

// takeWindows stops the early drain and returns the window-change channel
// for the caller to drain from now on.
func (p *ptyState) takeWindows() <-chan ssh.Window {
	close(p.handoff)
	<-p.drained
	return p.windows
}

// releaseWindows is called when the writer that took the window changes
// over stops: the library's request loop blocks on the next window change
// nobody reads, for ever (a client resizing while its session ends left
// that goroutine behind, even after the connection closed). A goroutine
// drains them until the library closes the channel, when the channel's
// requests end.
func (p *ptyState) releaseWindows(s *Server) {
	go func() {
		defer s.recoverPanic("window drain after session")
		for range p.windows {
		}
	}()
}
