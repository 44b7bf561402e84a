package cluster_test

import (
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// A private message to someone online on another node reaches them live
// (not their mailbox); the sender gets the normal echo, the recipient can
// /reply across nodes, and a guest on another node is reached too.
func TestPrivateMessageCrossesNodesLive(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{})

	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice", Key: sshchattest.NewKey(t)})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob", Key: sshchattest.NewKey(t)})
	bob.WaitFor("Welcome to #lobby, bob!")

	alice.Send("/msg bob live across nodes")
	bob.WaitFor("live across nodes")
	alice.WaitFor("-> *bob* live across nodes")
	if text := alice.Text(); containsLine(text, "offline") {
		t.Fatalf("sender was told the recipient is offline:\n%s", text)
	}

	bob.Send("/reply and back again")
	alice.WaitFor("and back again")

	guest := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "carol", Guest: true})
	guest.WaitFor("Welcome to #lobby, Guest-1!")
	// A guest claims no nick in presence: node A finds its node in the
	// rosters, which list it within about a second.
	waitWhoLists(t, a.Addr, sshchattest.NewKey(t), "Guest-1\t#lobby")
	alice.Send("/msg Guest-1 hello guest")
	guest.WaitFor("*alice* hello guest")
	alice.WaitFor("-> *Guest-1* hello guest")
}
