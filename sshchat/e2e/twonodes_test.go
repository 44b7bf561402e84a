package e2e

import (
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
	"github.com/sshchat/sshchat/sshchat/store/memstore"
)

// TestTwoServersShareOneStoreAndBus: the store and the bus are chosen by
// configuration and passed in. Two servers given one in-memory store and
// one bus are two nodes of one chat: a line typed over SSH on one is shown
// over SSH on the other, and a nick online on one is in use on the other.
func TestTwoServersShareOneStoreAndBus(t *testing.T) {
	st := memstore.New()
	t.Cleanup(func() { st.Close() }) // after both servers (cleanups run last first)
	bus := chat.NewLocalBus()
	nodeA := sshchattest.Start(t, sshchat.Config{Store: st, Bus: bus})
	nodeB := sshchattest.Start(t, sshchat.Config{Store: st, Bus: bus})

	key := sshchattest.NewKey(t)
	alice := sshchattest.Dial(t, nodeA.Addr, sshchattest.Options{User: "alice", Key: key})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := sshchattest.Dial(t, nodeB.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")

	alice.Send("hello from node A")
	bob.WaitFor("alice: hello from node A")
	bob.Send("hello from node B")
	alice.WaitFor("bob: hello from node B")

	// alice's own key on node B while she is online on node A: one nick,
	// one person online under it.
	again := sshchattest.Dial(t, nodeB.Addr, sshchattest.Options{User: "alice", Key: key})
	again.WaitFor("alice is in use, so you are alice_2.")
}
