package cluster_test

import (
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// /whois finds someone on another node (their key, room and since when,
// from that node's roster), and the "(N here)" of a join line counts the
// room's people on every node.
func TestWhoisAndJoinCountSeeEveryNode(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{})

	aliceKey := sshchattest.NewKey(t)
	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	alice.WaitFor("Welcome to #lobby, alice!")
	alice.Send("/away lunch")
	alice.WaitFor("You are marked away")
	bob := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")
	script := sshchattest.NewKey(t)
	waitWhoLists(t, b.Addr, script, "alice\t#lobby")

	bob.Send("/whois alice")
	bob.WaitFor("alice: key " + gossh.FingerprintSHA256(aliceKey.PublicKey()) + ", in #lobby, connected since ")
	bob.WaitFor("on another node (idle time not known here)")
	bob.WaitFor("alice is away: lunch")
	bob.Send("/whois nobody")
	bob.WaitFor("No one called nobody is online.")

	// B's join line counts alice on A; A's counts B's people.
	carol := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "carol"})
	carol.WaitFor("Welcome to #lobby, carol!")
	bob.WaitFor("carol joined #lobby. (3 here)")
	waitWhoLists(t, a.Addr, script, "carol\t#lobby")
	dave := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "dave"})
	dave.WaitFor("Welcome to #lobby, dave!")
	alice.WaitFor("dave joined #lobby. (4 here)")
	carol.Send("/join #dev")
	carol.WaitFor("You are now in #dev. (1 here)")
}
