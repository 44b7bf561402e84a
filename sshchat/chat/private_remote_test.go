package chat

import (
	"context"
	"testing"

	"github.com/sshchat/sshchat/sshchat/store/memstore"
)

// staleHolders is a shared store whose presence still names a holder on
// node for every nick: the recipient left that node after the sender's
// node looked them up.
type staleHolders struct {
	*memstore.Store
	node string
}

func (s staleHolders) OnlineHolder(context.Context, string) (string, error) {
	return s.node + "/gone", nil
}

// A private message sent to another node for someone who left it
// meanwhile is kept in their mailbox there and shown at their next
// login: at least once, as on one node. The sender gets the echo.
func TestPrivateMessageToSomeoneWhoLeftAnotherNodeIsKept(t *testing.T) {
	mem := memstore.New()
	defer mem.Close()
	bus := NewLocalBus()
	b := quietHub(Config{Store: mem, Bus: bus})
	defer b.Close()
	a := quietHub(Config{Store: staleHolders{Store: mem, node: b.node}, Bus: bus})
	defer a.Close()

	bob, _ := join(t, b, "bob")
	b.Leave(bob, "gone")
	alice, _ := join(t, a, "alice")
	drainText(alice)

	a.Handle(alice, "/msg bob while you were away")
	waitForText(t, alice, "-> *bob* while you were away")

	// B keeps it in the background: bob's next login shows it.
	waitFor(t, "the message kept for bob", func() bool {
		msgs, err := mem.PeekOffline(context.Background(), "SHA256:bob")
		return err == nil && len(msgs) == 1
	})
	back, _ := join(t, b, "bob")
	waitForText(t, back, "while you were away")
}
