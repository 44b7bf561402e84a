package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestStuckOneShotIsCutOff: a one-shot `history --json 1000` can be several
// MiB (JSON writes '<' as \u003c: six bytes for one), more than the SSH
// window. A client that does not read blocks that write forever, holding
// the handler and its buffer; like a chat session's, the write must be cut
// off after StuckTimeout.
func TestStuckOneShotIsCutOff(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{StuckTimeout: 300 * time.Millisecond})
	id := chat.Identity{User: "alice", Fingerprint: "SHA256:alice", Addr: "127.0.0.1:1"}
	for i := range 500 {
		if _, err := srv.Hub().Post(id, "", fmt.Sprintf("%03d %s", i, strings.Repeat("<", 900))); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := gossh.Dial("tcp", srv.Addr, sshchattest.ClientConfig(t, sshchattest.Options{User: "reader"}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.StdoutPipe(); err != nil { // never read
		t.Fatal(err)
	}
	if err := sess.Start("history --json 1000"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { conn.Wait(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("a one-shot command whose client stopped reading was not cut off")
	}
}
