package sshd

import (
	"testing"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// fakeConnContext is the connection's context: one value, set and read.
type fakeConnContext struct {
	ssh.Context
	values map[any]any
}

func (c *fakeConnContext) Value(key any) any       { return c.values[key] }
func (c *fakeConnContext) SetValue(key, value any) { c.values[key] = value }

type fakeChannel struct{ gossh.Channel }

// TestWriterWritesToTheChannelItself: a session's context finds its own
// channel (the writer's hot path skips the library's per-write context
// lookup), and everything else is the connection's, shared by its sessions.
func TestWriterWritesToTheChannelItself(t *testing.T) {
	conn := &fakeConnContext{values: map[any]any{}}
	ch1, ch2 := &fakeChannel{}, &fakeChannel{}
	s1, s2 := channelContext{conn, ch1}, channelContext{conn, ch2}
	if got := s1.Value(rawChannelKey{}); got != gossh.Channel(ch1) {
		t.Fatalf("session 1 found channel %v", got)
	}
	if got := s2.Value(rawChannelKey{}); got != gossh.Channel(ch2) {
		t.Fatalf("session 2 found channel %v", got)
	}
	s1.SetValue(connKey{}, "shared")
	if got := s2.Value(connKey{}); got != "shared" {
		t.Fatalf("a value set through one session's context: %v from another's", got)
	}
	if got := conn.Value(rawChannelKey{}); got != nil {
		t.Fatalf("the connection's own context has a channel: %v", got)
	}
}
