package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestRoomIsolation: lines and join/leave announcements stay in their room;
// /rooms, room-name rules, /part and the prompt.
func TestRoomIsolation(t *testing.T) {
	srv := startDurable(t, sshchat.Config{})
	alice := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true})
	alice.WaitFor("Welcome to #lobby, alice!")
	alice.WaitFor("[alice #lobby] ")
	bob := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")
	carol := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "carol"})
	carol.WaitFor("Welcome to #lobby, carol!")
	bob.WaitFor("*** carol joined #lobby. (3 here)")

	// alice creates #dev; the prompt follows her.
	alice.Send("/join #dev")
	alice.WaitFor("*** You are now in #dev. (1 here)")
	alice.WaitFor("*** alice joined #dev. (1 here)")
	alice.WaitFor("[alice #dev] ")
	bob.WaitFor("*** alice left #lobby. (2 here)")
	carol.WaitFor("*** alice left #lobby. (2 here)")

	// Room names are case-insensitive: #Dev is #dev, and keeps its name.
	bob.Send("/join #Dev")
	bob.WaitFor("*** You are now in #dev. (2 here)")
	alice.WaitFor("*** bob joined #dev. (2 here)")
	carol.WaitFor("*** bob left #lobby. (1 here)")
	bob.Send("/join DEV")
	bob.WaitFor("*** You are already in #dev.")

	bob.Send("secret in dev")
	alice.WaitFor("bob: secret in dev")
	bob.WaitFor("bob: secret in dev")
	// Lines are delivered in commit order by one writer: once carol sees
	// a lobby line said after it, anything leaked from #dev would be on
	// her screen already.
	carol.Send("lobby marker")
	carol.WaitFor("carol: lobby marker")
	bob.Send("dev marker")
	alice.WaitFor("bob: dev marker")
	if text := carol.Text(); strings.Contains(text, "secret in dev") || strings.Contains(text, "dev marker") {
		t.Errorf("a line said in #dev reached carol in #lobby:\n%s", text)
	}
	if text := carol.Text(); strings.Contains(text, "joined #dev") || strings.Contains(text, "You are now in") {
		t.Errorf("a #dev announcement reached carol in #lobby:\n%s", text)
	}
	for name, c := range map[string]*sshchattest.Client{"alice": alice, "bob": bob} {
		if text := c.Text(); strings.Contains(text, "lobby marker") {
			t.Errorf("%s in #dev saw a line said in #lobby:\n%s", name, text)
		}
	}

	t.Run("rooms", func(t *testing.T) {
		alice.Send("/topic Dev talk")
		bob.WaitFor("*** alice set the topic: Dev talk")
		out := block(t, carol, "/rooms")
		want := "*** 2 rooms:\n***   #dev (2) Dev talk\n***   #lobby (1)\n"
		if out != want {
			t.Errorf("/rooms shows\n%s\nwant\n%s", out, want)
		}
		if strings.Contains(carol.Text(), "set the topic") {
			t.Errorf("the #dev topic change was announced in #lobby:\n%s", carol.Text())
		}
	})

	t.Run("invalid names", func(t *testing.T) {
		for _, name := range []string{"#bad!name", "#" + strings.Repeat("x", 32), "#", "#a.b", "#ümlaut"} {
			out := block(t, carol, "/join "+name)
			if !strings.Contains(out, "*** Not joined: room names are # and 1-31 letters, digits, _ or -.") {
				t.Errorf("/join %s: got %q, want a refusal", name, out)
			}
		}
		out := block(t, carol, "/join")
		if out != "*** Usage: /join #ROOM\n" {
			t.Errorf("/join without a name: got %q", out)
		}
		out = block(t, carol, "/join #a b")
		if out != "*** Usage: /join #ROOM\n" {
			t.Errorf("/join with two words: got %q", out)
		}
		// The longest valid name is accepted.
		long := "#" + strings.Repeat("y", 31)
		carol.Send("/join " + long)
		carol.WaitFor("*** You are now in " + long + ". (1 here)")
		carol.Send("/part")
		carol.WaitFor("*** You are now in #lobby. (1 here)")
	})

	t.Run("part", func(t *testing.T) {
		before := len(bob.Text())
		alice.Send("/part")
		alice.WaitFor("*** You are now in #lobby.")
		alice.WaitFor("[alice #lobby] ")
		// Joins close together share one line ("alice and carol joined"):
		// wait for a join line that names alice.
		carol.WaitUntil("alice's join line", func(text string) bool {
			for _, l := range strings.Split(text, "\n") {
				if strings.HasPrefix(l, "*** ") && strings.Contains(l, "alice") && strings.Contains(l, " joined #lobby.") {
					return true
				}
			}
			return false
		})
		bob.WaitFor("*** alice left #dev. (1 here)")
		alice.Send("/part")
		alice.WaitFor("*** You are already in #lobby.")
		alice.Send("back in the lobby")
		carol.WaitFor("alice: back in the lobby")
		bob.Send("still in dev")
		bob.WaitFor("bob: still in dev")
		if strings.Contains(bob.Text()[before:], "back in the lobby") || strings.Contains(bob.Text()[before:], "joined #lobby") {
			t.Errorf("bob in #dev saw #lobby traffic:\n%s", bob.Text()[before:])
		}
		if strings.Contains(alice.Text(), "still in dev") {
			t.Errorf("alice, back in #lobby, saw a #dev line")
		}
		out := block(t, carol, "/rooms")
		if !strings.Contains(out, "***   #lobby (2)\n") || !strings.Contains(out, "***   #dev (1) Dev talk\n") {
			t.Errorf("/rooms after /part:\n%s", out)
		}
	})
}

// TestTopic: the room's creator may set its topic, others may not; everyone
// reads it; it survives a restart.
func TestTopic(t *testing.T) {
	srv := startDurable(t, sshchat.Config{})
	aliceKey, bobKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	bob := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.WaitFor("bob joined #lobby.")

	if out := block(t, bob, "/topic"); out != "*** #lobby has no topic. /topic TEXT sets one.\n" {
		t.Errorf("/topic in #lobby: got %q", out)
	}
	alice.Send("/join #proj")
	alice.WaitFor("*** alice joined #proj. (1 here)")
	bob.Send("/join #proj")
	bob.WaitFor("*** You are now in #proj. (2 here)")
	bob.WaitFor("*** bob joined #proj. (2 here)")
	alice.WaitFor("*** bob joined #proj. (2 here)")

	const refused = "*** /topic: not permitted (the room's creator and operators may set it).\n"
	if out := block(t, bob, "/topic bob's topic"); out != refused {
		t.Errorf("bob, who did not create #proj, set its topic: %q", out)
	}
	alice.Send("/topic Project X: shipping Friday")
	alice.WaitFor("*** alice set the topic: Project X: shipping Friday")
	bob.WaitFor("*** alice set the topic: Project X: shipping Friday")
	if out := block(t, bob, "/topic"); out != "*** Topic of #proj: Project X: shipping Friday\n" {
		t.Errorf("/topic: got %q", out)
	}
	if strings.Contains(bob.Text(), "bob's topic") {
		t.Errorf("the refused topic was shown")
	}

	// Someone joining sees the topic.
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol"})
	carol.Send("/join #PROJ")
	carol.WaitFor("*** You are now in #proj. (3 here)\n*** Topic: Project X: shipping Friday\n")

	// A guest who creates a room owns nothing, so cannot set its topic.
	guest := dialWelcome(t, srv.Addr, sshchattest.Options{Guest: true})
	guest.Send("/join #guests")
	guest.WaitFor("*** You are now in #guests. (1 here)")
	guest.WaitFor("joined #guests.")
	if out := block(t, guest, "/topic mine"); out != refused {
		t.Errorf("a guest set a topic: %q", out)
	}

	// After a restart the topic, and who may change it, are the same.
	srv = restart(t, srv)
	dave := dialWelcome(t, srv.Addr, sshchattest.Options{User: "dave"})
	dave.Send("/join #proj")
	dave.WaitFor("*** You are now in #proj. (1 here)\n*** Topic: Project X: shipping Friday\n")
	if out := block(t, dave, "/rooms"); !strings.Contains(out, "***   #proj (1) Project X: shipping Friday\n") {
		t.Errorf("/rooms after a restart:\n%s", out)
	}
	bob = dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.Send("/join #proj")
	bob.WaitFor("*** Topic: Project X")
	bob.WaitFor("bob joined #proj.")
	if out := block(t, bob, "/topic taken over"); out != refused {
		t.Errorf("after a restart bob set the topic of #proj: %q", out)
	}
	alice = dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	alice.Send("/join #proj")
	alice.WaitFor("*** Topic: Project X")
	alice.Send("/topic Project Y")
	dave.WaitFor("*** alice set the topic: Project Y")
}

// TestPrivateMessages: only the two see a private message; /reply; offline
// delivery across a restart.
func TestPrivateMessages(t *testing.T) {
	srv := startDurable(t, sshchat.Config{})
	aliceKey, daveKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol"})

	alice.Send("/msg bob meet me at noon")
	bob.WaitFor("*alice* meet me at noon\n")
	alice.WaitFor("-> *bob* meet me at noon\n")
	bob.Send("/reply noon works")
	alice.WaitFor("*bob* noon works\n")
	bob.WaitFor("-> *alice* noon works\n")
	// Across rooms too.
	bob.Send("/join #elsewhere")
	bob.WaitFor("*** You are now in #elsewhere.")
	alice.Send("/msg BOB still there?")
	bob.WaitFor("*alice* still there?\n")
	bob.Send("/r yes")
	alice.WaitFor("*bob* yes\n")

	// carol was in the room all along; a line said after the private
	// messages reaches her, and they did not.
	alice.Send("public marker")
	carol.WaitFor("alice: public marker")
	for _, secret := range []string{"noon", "still there", "*bob* yes", "-> *"} {
		if strings.Contains(carol.Text(), secret) {
			t.Errorf("carol saw a private message (%q):\n%s", secret, carol.Text())
		}
	}
	if out := block(t, carol, "/reply hello?"); out != "*** Nobody has sent you a private message yet.\n" {
		t.Errorf("/reply with no one to answer: %q", out)
	}
	if out := block(t, carol, "/msg nobody hi"); out != "*** No one called nobody is online.\n" {
		t.Errorf("/msg to a nick nobody owns: %q", out)
	}
	// Private messages are not room history.
	if out := block(t, carol, "/history"); strings.Contains(out, "noon") {
		t.Errorf("/history shows a private message:\n%s", out)
	}

	// dave owns his nick, then leaves.
	dave := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "dave", Key: daveKey})
	dave.WaitFor("Welcome to #lobby, dave!")
	dave.Send("/quit")
	if err := dave.WaitClosed(); err != nil {
		t.Fatalf("/quit: %v", err)
	}
	alice.WaitFor("*** dave left #lobby.")
	out := block(t, alice, "/msg dave are you around?")
	want := "-> *dave* are you around?\n*** dave is offline; your message is kept and will be shown when they connect.\n"
	if out != want {
		t.Errorf("/msg to an absent owner: got\n%s\nwant\n%s", out, want)
	}
	if strings.Contains(carol.Text(), "are you around") {
		t.Errorf("carol saw the stored message")
	}

	srv = restart(t, srv)
	dave = sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "dave", Key: daveKey})
	dave.WaitFor("*** 1 message while you were offline:\n")
	text := dave.WaitUntil("the kept message", func(text string) bool {
		i := strings.Index(text, "*** 1 message while you were offline:\n")
		return i >= 0 && strings.Contains(text[i:], "*alice* are you around?\n")
	})
	i := strings.Index(text, "*** 1 message while you were offline:\n")
	next := lines(text[i:])[1]
	if !historyPrefix.MatchString(next) || strings.TrimPrefix(next, historyPrefix.FindString(next)) != "*alice* are you around?" {
		t.Errorf("the kept message is shown as %q, want \"[time] *alice* are you around?\" right after the notice", next)
	}
	// /reply answers whoever wrote while dave was away.
	alice = sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	alice.WaitFor("Welcome to #lobby, alice!")
	dave.Send("/reply got it")
	alice.WaitFor("*dave* got it\n")
	// The kept message is delivered once.
	dave.Close()
	alice.WaitFor("dave left #lobby.")
	again := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "dave", Key: daveKey})
	again.WaitFor("Welcome to #lobby, dave!")
	if out := block(t, again, "/whoami"); strings.Contains(again.Text(), "while you were offline") {
		t.Errorf("the kept message was delivered twice:\n%s%s", again.Text(), out)
	}
}

// TestGatheredAnnouncementsKeepOrder: when a busy room gathers join and
// leave announcements, they must still tell what happened in order: someone
// who left and came back is shown as back, not as gone. The injected clock
// stands still, so the burst of five is used up and the rest is gathered
// (flushed one real second later) on every run.
func TestGatheredAnnouncementsKeepOrder(t *testing.T) {
	clock := newFakeClock(time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC))
	srv := startDurable(t, sshchat.Config{Now: clock.Now})
	var cs []*sshchattest.Client
	for _, user := range []string{"alice", "bob", "carol", "dave", "erin"} {
		c := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: user})
		c.WaitFor(user + " joined #lobby.")
		cs = append(cs, c)
	}
	alice, carol, dave := cs[0], cs[2], cs[3]
	carol.Send("/join #x")
	carol.WaitFor("You are now in #x.")
	carol.Send("/part")
	carol.WaitFor("You are now in #lobby.")
	alice.WaitFor("carol left #lobby.")
	dave.Send("after the gathered lines")
	text := alice.WaitFor("dave: after the gathered lines")
	left, joined := strings.LastIndex(text, "carol left #lobby."), strings.LastIndex(text, "carol joined #lobby.")
	if joined < left {
		t.Errorf("carol left #lobby and came back, but alice is shown her leaving last:\n%s", text)
	}
}
