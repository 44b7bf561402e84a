package cluster_test

import (
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// A private message kept on node A for someone offline is shown when they
// connect to node B: mailboxes are shared.
func TestMessageKeptOnOneNodeIsShownOnTheOther(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{})
	bobKey := sshchattest.NewKey(t)

	bob := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.WaitFor("Welcome to #lobby, bob!")
	bob.Send("/quit")
	bob.WaitClosed()

	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice", Key: sshchattest.NewKey(t)})
	alice.WaitFor("Welcome to #lobby, alice!")
	alice.Send("/msg bob see you on node B")
	alice.WaitFor("bob is offline; your message is kept")

	back := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	back.WaitFor("see you on node B")
}
