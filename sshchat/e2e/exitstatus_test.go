package e2e

import (
	"errors"
	"fmt"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// exitStatus waits for c's session to end and returns its exit status
// (-1 if it ended without one).
func exitStatus(t *testing.T, c *sshchattest.Client) int {
	t.Helper()
	err := c.WaitClosed()
	if err == nil {
		return 0
	}
	var exit *gossh.ExitError
	if errors.As(err, &exit) {
		return exit.ExitStatus()
	}
	t.Logf("session ended without a status: %v", err)
	return -1
}

// A bot must be able to tell being thrown out from leaving: /quit exits
// 0, a kick 3, a ban 4, on terminal and plain sessions alike.
func TestKickedOrBannedSessionExitsNonZero(t *testing.T) {
	opKey := sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{}, opKey)

	quitter := dialWelcome(t, srv.Addr, sshchattest.Options{User: "quitter"})
	quitter.Send("/quit")
	if s := exitStatus(t, quitter); s != 0 {
		t.Fatalf("/quit: exit status %d, want 0", s)
	}
	for i, pty := range []bool{false, true} {
		kickedNick, bannedNick := fmt.Sprintf("kicked%d", i), fmt.Sprintf("banned%d", i)
		kicked := dialWelcome(t, srv.Addr, sshchattest.Options{User: kickedNick, PTY: pty})
		op.Send("/kick " + kickedNick)
		if s := exitStatus(t, kicked); s != 3 {
			t.Fatalf("kicked (pty %v): exit status %d, want 3", pty, s)
		}
		banned := dialWelcome(t, srv.Addr, sshchattest.Options{User: bannedNick, PTY: pty})
		op.Send("/ban " + bannedNick)
		if s := exitStatus(t, banned); s != 4 {
			t.Fatalf("banned (pty %v): exit status %d, want 4", pty, s)
		}
	}
}
