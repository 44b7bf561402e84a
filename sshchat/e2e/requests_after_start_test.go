package e2e

import (
	"bufio"
	"runtime"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestRequestFloodOnATailIsAnsweredAndCapped: once a session runs, its
// writer answers the channel's requests (no goroutine of its own does). A
// `tail` is a one-shot command with a writer: requests sent while it
// streams are each answered (were they not, x/crypto would queue 16 and
// then stop reading the connection: the 17th reply would never come), the
// tail keeps streaming, and a client that keeps sending refused requests
// loses its connection, leaving no goroutine behind.
func TestRequestFloodOnATailIsAnsweredAndCapped(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	talker := dialWelcome(t, srv.Addr, sshchattest.Options{User: "talker"})
	baseline := runtime.NumGoroutine()

	conn, err := gossh.Dial("tcp", srv.Addr, sshchattest.ClientConfig(t, sshchattest.Options{User: "tailer"}))
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
	if err := sess.Start("tail #lobby -n 1"); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // the test reads only the few it waits for
			}
		}
	}()
	waitTailLine := func(want string) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the tail ended before %q", want)
				}
				if strings.Contains(l, want) {
					return
				}
			case <-deadline:
				t.Fatalf("the tail did not show %q", want)
			}
		}
	}
	// The tail is live once a line said after its start reaches it.
	deadline := time.Now().Add(30 * time.Second)
	for live := false; !live; {
		talker.Send("ping")
		select {
		case l := <-lines:
			live = strings.Contains(l, "ping")
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the tail never showed a line")
		}
	}

	// 100 refused requests, each waiting for its reply: far more than
	// x/crypto's queue of 16.
	answered := make(chan int, 1)
	go func() {
		n := 0
		for ; n < 100; n++ {
			if ok, err := sess.SendRequest("auth-agent-req@openssh.com", true, nil); err != nil || ok {
				break
			}
		}
		answered <- n
	}()
	select {
	case n := <-answered:
		if n != 100 {
			t.Fatalf("%d of 100 refused requests answered false, then an error or an acceptance", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the requests to a running tail were not answered: nobody reads them")
	}
	talker.Send("after the requests")
	waitTailLine("after the requests")

	// Past 256 refused requests (100 so far) the connection is closed.
	for range 400 {
		if _, err := sess.SendRequest("x11-req", false, nil); err != nil {
			break
		}
	}
	waitClosed(t, conn)
	if !strings.Contains(srv.Logs.String(), "too many refused requests") {
		t.Fatal("the cut-off was not logged")
	}
	for range lines { // the reader ends with the connection
	}
	waitGoroutines(t, baseline)
}
