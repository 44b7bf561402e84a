package cluster_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// /who in a room, the one-shot who and the "N online" of the welcome list
// the people of every node, and someone who leaves one node drops out of
// the others' lists.
func TestWhoListsEveryNode(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{})

	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice"})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")
	carol := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "carol"})
	carol.WaitFor("Welcome to #lobby, carol!")
	carol.Send("/join #dev")
	carol.WaitFor("You are now in #dev")

	script := sshchattest.NewKey(t)
	waitWho(t, a.Addr, script, "alice\t#lobby\nbob\t#lobby\ncarol\t#dev\n")

	alice.Send("/who")
	alice.WaitFor("2 in #lobby: alice, bob")
	carol.Send("/who")
	carol.WaitFor("1 in #dev: carol")

	dave := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "dave"})
	dave.WaitFor("Welcome to #lobby, dave! 4 online.")

	bob.Send("/quit")
	bob.WaitClosed()
	waitWho(t, a.Addr, script, "alice\t#lobby\ncarol\t#dev\ndave\t#lobby\n")
}

// waitWho runs the one-shot who on addr until it prints want; other
// nodes' people appear within about a second (their roster's refresh).
func waitWho(t *testing.T, addr string, key gossh.Signer, want string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var got string
	for time.Now().Before(deadline) {
		if got = oneShotWho(t, addr, key); got == want {
			return
		}
		time.Sleep(100 * time.Millisecond) // a pause between polls, not a wait for the result
	}
	t.Fatalf("who never printed %q; last: %q", want, got)
}

// waitWhoLists runs the one-shot who on addr until it lists want.
func waitWhoLists(t *testing.T, addr string, key gossh.Signer, want string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var got string
	for time.Now().Before(deadline) {
		if got = oneShotWho(t, addr, key); strings.Contains(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond) // a pause between polls, not a wait for the result
	}
	t.Fatalf("who never listed %q; last: %q", want, got)
}

func oneShotWho(t *testing.T, addr string, key gossh.Signer) string {
	t.Helper()
	conn, err := gossh.Dial("tcp", addr, sshchattest.ClientConfig(t, sshchattest.Options{User: "script", Key: key}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sess.Stdout = &out
	if err := sess.Run("who"); err != nil {
		t.Fatalf("who: %v", err)
	}
	return out.String()
}
