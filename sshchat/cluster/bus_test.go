package cluster_test

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
	"github.com/sshchat/sshchat/sshchat/store/memstore"
)

// saidLines returns, in the order shown, the lines text carries whose
// body matches "<nick>: n<digits>".
var numbered = regexp.MustCompile(`(\w+): (n\d+)`)

func saidLines(text string) []string {
	var out []string
	for _, m := range numbered.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1]+":"+m[2])
	}
	return out
}

// Two nodes on one NATS are one chat: what anyone types on either node
// is shown to every member on both, in one order, although the two
// nodes publish to the stream independently (the bus restores each
// room's order by the store's number).
func TestLinesFromTwoNodesReachEveryoneInOneOrder(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	a := startNode(t, nats.URL(), "a", st, sshchat.Config{})
	b := startNode(t, nats.URL(), "b", st, sshchat.Config{})

	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice"})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")
	carol := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "carol"})
	carol.WaitFor("Welcome to #lobby, carol!")

	alice.Send("hello from node A")
	bob.WaitFor("alice: hello from node A")
	bob.Send("hello from node B")
	alice.WaitFor("bob: hello from node B")

	// Both type at once: a bounded burst from each node.
	const each = 20
	var wg sync.WaitGroup
	for _, c := range []*sshchattest.Client{alice, bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				c.Send(fmt.Sprintf("n%d", i))
			}
		}()
	}
	wg.Wait()
	var orders [][]string
	for _, c := range []*sshchattest.Client{alice, bob, carol} {
		text := c.WaitUntil("every numbered line", func(text string) bool {
			return len(saidLines(text)) >= 2*each
		})
		orders = append(orders, saidLines(text))
	}
	for i, o := range orders[1:] {
		if strings.Join(o, " ") != strings.Join(orders[0], " ") {
			t.Fatalf("member %d saw another order:\n%v\nthan member 0:\n%v", i+1, o, orders[0])
		}
	}
	if len(orders[0]) != 2*each {
		t.Fatalf("saw %d numbered lines, want %d (a duplicate?): %v", len(orders[0]), 2*each, orders[0])
	}
}

// A ban made by an operator on node A disconnects the banned key's
// session on node B: the change crosses nodes on the stream.
func TestBanOnOneNodeDisconnectsOnTheOther(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	opKey, eveKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	admins := writeAdmins(t, opKey)
	a := startNode(t, nats.URL(), "a", st, sshchat.Config{AdminsFile: admins})
	b := startNode(t, nats.URL(), "b", st, sshchat.Config{AdminsFile: admins})

	op := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "oper", Key: opKey})
	op.WaitFor("Welcome to #lobby, oper!")
	eve := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "eve", Key: eveKey})
	eve.WaitFor("Welcome to #lobby, eve!")
	op.WaitFor("eve joined")

	start := time.Now()
	op.Send("/ban eve")
	op.WaitFor("eve was banned by oper")
	eve.WaitFor("You were banned")
	removed := time.Since(start)
	eve.WaitDisconnected()
	// Node B removes eve from the chat as soon as the change arrives; the
	// TCP connection closes after the eject grace (2 s), as on one node.
	t.Logf("ban on A: eve removed on B after %v, disconnected after %v",
		removed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	again, err := sshchattest.TryDial(t, b.Addr, sshchattest.Options{User: "eve", Key: eveKey})
	if err == nil {
		again.WaitDisconnected()
		if strings.Contains(again.Text(), "Welcome") {
			t.Fatalf("the banned key was welcomed again on node B: %q", again.Text())
		}
	}
}
