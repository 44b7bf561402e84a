package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

func TestSeveralClientsChat(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	alice := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob", PTY: true})
	bob.WaitFor("Welcome to #lobby, bob! 2 online.")
	bot := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bot"})
	bot.WaitFor("Welcome to #lobby, bot! 3 online.")
	alice.WaitFor("bot joined #lobby. (3 here)")

	alice.Send("hello from alice")
	bob.Send("hi alice")
	bot.Send("beep")
	for _, c := range []*sshchattest.Client{alice, bob, bot} {
		c.WaitFor("alice: hello from alice")
		c.WaitFor("bob: hi alice")
		c.WaitFor("bot: beep")
	}
}

func TestTwentyClientsTenLinesLoseNothing(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	const clients, lines = 20, 10
	var cs []*sshchattest.Client
	for i := range clients {
		c := dialWelcome(t, srv.Addr, sshchattest.Options{User: fmt.Sprintf("user%02d", i), PTY: i%2 == 0})
		cs = append(cs, c)
	}
	for _, c := range cs {
		c.WaitFor(fmt.Sprintf("%d here", clients)) // the last join, possibly coalesced
	}
	for l := range lines {
		for i, c := range cs {
			c.Send(fmt.Sprintf("line-%02d-%02d", i, l))
		}
	}
	for _, c := range cs {
		c.WaitUntil("every line", func(text string) bool {
			return strings.Count(text, ": line-") >= clients*lines
		})
		text := c.Text()
		for i := range clients {
			for l := range lines {
				want := fmt.Sprintf("user%02d: line-%02d-%02d\n", i, i, l)
				if n := strings.Count(text, want); n != 1 {
					t.Fatalf("%q seen %d times", want, n)
				}
			}
		}
	}
}

var wholeMessage = regexp.MustCompile(`: m\d+-\d+\n`)

func TestSameOrderForEveryone(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	var cs []*sshchattest.Client
	for i := range 4 {
		c := dialWelcome(t, srv.Addr, sshchattest.Options{User: fmt.Sprintf("u%d", i)})
		cs = append(cs, c)
	}
	// All four talk at once; every screen must show the same sequence.
	for l := range 50 {
		for i, c := range cs {
			c.Send(fmt.Sprintf("m%d-%d", i, l))
		}
	}
	var orders []string
	for _, c := range cs {
		// Whole lines only: a count of ": m" can include a line whose end
		// has not arrived.
		text := c.WaitUntil("200 whole lines", func(text string) bool {
			return len(wholeMessage.FindAllString(text, -1)) >= 200
		})
		var order []string
		for _, line := range strings.Split(text, "\n") {
			if _, msg, ok := strings.Cut(line, ": m"); ok && !strings.HasPrefix(line, "*") {
				order = append(order, msg)
			}
		}
		orders = append(orders, strings.Join(order, ","))
	}
	for i := 1; i < len(orders); i++ {
		if orders[i] != orders[0] {
			t.Fatalf("client %d saw a different order than client 0", i)
		}
	}
}
