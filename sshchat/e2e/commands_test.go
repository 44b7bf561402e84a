package e2e

import (
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

func TestCommands(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol"})

	t.Run("help", func(t *testing.T) {
		bob.Send("/help")
		text := bob.WaitFor("Start a line with //")
		for _, cmd := range []string{"/help", "/nick NAME", "/me ACTION", "/who", "/msg NICK TEXT", "/quit"} {
			if !strings.Contains(text, cmd) {
				t.Errorf("/help does not mention %s", cmd)
			}
		}
	})
	t.Run("who and names", func(t *testing.T) {
		bob.Send("/who")
		bob.WaitFor("*** 3 in #lobby: alice, bob, carol")
		bob.Send("/NAMES")
		bob.WaitCount("*** 3 in #lobby: alice, bob, carol", 2)
	})
	t.Run("me", func(t *testing.T) {
		alice.Send("/me waves")
		bob.WaitFor("* alice waves")
		alice.WaitFor("* alice waves")
		alice.Send("/me")
		alice.WaitFor("Usage: /me ACTION")
	})
	t.Run("msg is private", func(t *testing.T) {
		alice.Send("/msg bob psst, secret")
		bob.WaitFor("*alice* psst, secret")
		alice.WaitFor("-> *bob* psst, secret")
		alice.Send("/msg nobody hi")
		alice.WaitFor("No one called nobody is online.")
		alice.Send("/msg bob")
		alice.WaitFor("Usage: /msg NICK TEXT")
		// carol saw everything said in the room after the message, but not
		// the message itself.
		bob.Send("after the secret")
		carol.WaitFor("bob: after the secret")
		if strings.Contains(carol.Text(), "secret\n") && strings.Contains(carol.Text(), "psst") {
			t.Fatalf("carol saw the private message:\n%s", carol.Text())
		}
	})
	t.Run("nick", func(t *testing.T) {
		bob.Send("/nick robert")
		alice.WaitFor("*** bob is now known as robert.")
		bob.Send("renamed")
		alice.WaitFor("robert: renamed")
		bob.Send("/nick ALICE")
		bob.WaitFor("Not changed: alice is in use.")
		bob.Send("/nick -bad")
		bob.WaitFor("Not changed: nick must be")
		bob.Send("/nick")
		bob.WaitFor("Usage: /nick NAME")
		bob.Send("/nick two words")
		bob.WaitCount("Usage: /nick NAME", 2)
		// The prompt follows the nick in a pty session.
		alice.Send("/nick Alicia")
		alice.WaitFor("[Alicia #lobby] ")
	})
	t.Run("unknown and slash escape", func(t *testing.T) {
		carol.Send("/frobnicate now")
		carol.WaitFor("Unknown command /frobnicate. Type /help for the list.")
		carol.Send("//shrug")
		bob.WaitFor("carol: /shrug")
	})
	t.Run("quit and exit leave with status 0", func(t *testing.T) {
		carol.Send("/quit")
		carol.WaitFor("Goodbye!")
		if err := carol.WaitClosed(); err != nil {
			t.Fatalf("/quit: session ended with %v, want exit status 0", err)
		}
		bob.WaitFor("carol left #lobby. (2 here)")
		bob.Send("/exit")
		if err := bob.WaitClosed(); err != nil {
			t.Fatalf("/exit: session ended with %v, want exit status 0", err)
		}
	})
}

func TestCtrlDAndCtrlCLeaveCleanly(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	for _, key := range []string{"\x04", "\x03"} {
		c := dialWelcome(t, srv.Addr, sshchattest.Options{User: "leaver", PTY: true})
		c.Write(key)
		if err := c.WaitClosed(); err != nil {
			t.Fatalf("key %q: session ended with %v, want exit status 0", key, err)
		}
	}
}

func TestNickCollisionGetsDistinctName(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	a := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "sam"})
	a.WaitFor("Welcome to #lobby, sam!")
	b := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "SAM"})
	b.WaitFor("SAM belongs to someone else's key, so you are SAM_2.")
	c := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "\x1b\x07!!", Guest: true})
	c.WaitFor("You have no SSH key, so you are the guest Guest-1.")
}
