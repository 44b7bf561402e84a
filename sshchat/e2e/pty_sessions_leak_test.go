package e2e

import (
	"runtime"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
	gossh "golang.org/x/crypto/ssh"
)

// TestPtySessionsOnOneConnectionLeaveNothingBehind: a client that opens
// session after session on one connection, each with a pty, must not
// grow the server: the connection's context outlives every session, and
// a pty kept there per session (nothing removed it) held each finished
// session, its channel and buffers until the client disconnected.
func TestPtySessionsOnOneConnectionLeaveNothingBehind(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{Rate: -1})
	conn, err := gossh.Dial("tcp", srv.Addr, sshchattest.ClientConfig(t, sshchattest.Options{User: "alice", Key: sshchattest.NewKey(t)}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	run := func(n int) {
		t.Helper()
		for i := range n {
			s, err := conn.NewSession()
			if err != nil {
				t.Fatalf("session %d: %v", i, err)
			}
			if err := s.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
				t.Fatalf("session %d: pty: %v", i, err)
			}
			if _, err := s.Output("who"); err != nil {
				t.Fatalf("session %d: who: %v", i, err)
			}
			s.Close()
		}
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	run(50) // warm up: pools, caches, the store's statements
	before := heap()
	const n = 400
	run(n)
	after := heap()
	t.Logf("heap %d -> %d after %d pty sessions (2,600 bytes kept per session before the fix)", before, after, n)
	if after > before && (after-before)/n > 1024 {
		t.Fatalf("the server kept %d bytes per finished pty session on a live connection (heap %d -> %d)", (after-before)/n, before, after)
	}
}
