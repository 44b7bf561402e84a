package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestTailOfARemovedRoomEndsWithTheReason: `ssh host tail '#room'` ends
// when an operator removes the room, with the reason on stderr and exit
// status 1 (as a tail of a room that does not exist), not 0 as if the
// script had disconnected, and not left streaming a room that is gone.
// A tail started after the removal fails the same way.
func TestTailOfARemovedRoomEndsWithTheReason(t *testing.T) {
	opKey := sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{}, opKey)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})
	alice.Send("/join #spam")
	alice.WaitFor("*** You are now in #spam.")
	alice.Send("spam line")
	alice.WaitFor("alice: spam line")

	conn, err := gossh.Dial("tcp", srv.Addr, sshchattest.ClientConfig(t, sshchattest.Options{User: "bridge"}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	sess.Stderr = &stderr
	if err := sess.Start("tail -n 1 '#spam'"); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	ended := make(chan error, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		first <- line
		_, _ = r.WriteTo(io.Discard) // until the command ends
		ended <- sess.Wait()
	}()
	select {
	case line := <-first:
		if !strings.Contains(line, "spam line") {
			t.Fatalf("tail printed %q first", line)
		}
	case <-time.After(sshchattest.DefaultTimeout):
		t.Fatal("tail printed nothing")
	}

	op.Send("/rmroom #spam")
	op.WaitFor("*** #spam is removed")
	var waitErr error
	select {
	case waitErr = <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("a tail of the removed room is still running")
	}
	var exit *gossh.ExitError
	if !errors.As(waitErr, &exit) || exit.ExitStatus() != 1 {
		t.Errorf("the tail ended with %v, want exit status 1", waitErr)
	}
	if got := stderr.String(); got != "sshchat: #spam was removed by an operator\n" {
		t.Errorf("the tail's stderr says %q", got)
	}

	key := sshchattest.NewKey(t)
	if _, stderr, status := run(t, srv.Addr, key, "bridge", "tail -n 1 '#spam'"); status != 1 || !strings.Contains(stderr, "no room #spam") {
		t.Errorf("a tail of the removed room: status %d, %q", status, stderr)
	}
}
