package sshd

import (
	"io"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// The session writer's hot path writes to the SSH channel itself, not
// through charmbracelet/ssh's session.Write: that one asks the connection's
// context whether to emulate a pty (translating "\n" to "\r\n") on every
// write, a map lookup under the context's mutex, shared by every goroutine
// of the connection. This server never asks for that emulation (its
// PtyHandler is ptyRequest), so session.Write always ended in the channel's
// own Write, with the same bytes; x/term and the plain codec write their own
// line endings.

// rawChannelKey is the context key under which a session's channel is found.
type rawChannelKey struct{}

// channelContext is the connection's context as one session channel's
// library session sees it: it adds rawChannelKey, and passes everything
// else on to the connection's context.
type channelContext struct {
	ssh.Context
	ch gossh.Channel
}

func (c channelContext) Value(key any) any {
	if _, ok := key.(rawChannelKey); ok {
		return c.ch
	}
	return c.Context.Value(key)
}

// output is where the session's writer writes: the channel itself when the
// session came through sessionChannel, else the library's session.
func (se *session) output() io.Writer {
	if ch, ok := se.ssh.Context().Value(rawChannelKey{}).(gossh.Channel); ok {
		return ch
	}
	return se.ssh
}
