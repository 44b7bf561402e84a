package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestWordsSayWhatHappened: a user name that lost letters or was cut is
// explained on joining; /bell and /timestamp without an argument show the
// setting; a message to a nick whose key is online under another nick
// reaches them, and one to an offline owner says "offline", not "away".
func TestWordsSayWhatHappened(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	john := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "Jöhn Doe!"})
	text := john.WaitFor("Welcome")
	if !strings.Contains(text, `*** Your user name "Jöhn Doe!" became JhnDoe (dropped "ö", space, "!"): nicks are ASCII letters, digits, _ - . up to 24 characters.`) {
		t.Errorf("no explanation of the nick:\n%s", text)
	}
	long := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "abcdefghijklmnopqrstuvwxyz0123"})
	if text := long.WaitFor("Welcome"); !strings.Contains(text, "became abcdefghijklmnopqrstuvwx (cut to 24 characters)") {
		t.Errorf("no explanation of the cut:\n%s", text)
	}
	plain := dialWelcome(t, srv.Addr, sshchattest.Options{User: "plain"})
	plain.WaitFor("joined #lobby. (3 here)") // its own join, before the answers below
	if strings.Contains(plain.Text(), "Your user name") {
		t.Errorf("a usable user name was explained:\n%s", plain.Text())
	}
	if got := block(t, plain, "/bell"); got != "*** Bell: mentions. /bell on|off|mentions changes it.\n" {
		t.Errorf("/bell: %q", got)
	}
	if got := block(t, plain, "/timestamp"); got != "*** Timestamps are off. /timestamp on|off changes it.\n" {
		t.Errorf("/timestamp: %q", got)
	}

	// carol owns her nick, then is online as carol2 only.
	carolKey := sshchattest.NewKey(t)
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol", Key: carolKey})
	carol.Close()
	plain.WaitFor("carol left")
	if got := block(t, plain, "/msg carol are you there"); got != "-> *carol* are you there\n*** carol is offline; your message is kept and will be shown when they connect.\n" {
		t.Errorf("/msg to an offline owner: %q", got)
	}
	carol2 := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol2", Key: carolKey})
	carol2.WaitFor("*plain* are you there")
	plain.WaitFor("carol2 joined")
	got := block(t, plain, "/msg carol now?")
	if got != "*** carol is online as carol2; sent there.\n-> *carol2* now?\n" {
		t.Errorf("/msg to an owner online under another nick: %q", got)
	}
	carol2.WaitFor("*plain* now?")
}

// TestIgnoreListSurvivesRestart: the ignore list is kept with the key like
// the other preferences.
func TestIgnoreListSurvivesRestart(t *testing.T) {
	srv := startDurable(t, sshchat.Config{})
	aliceKey, spamKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	spam := dialWelcome(t, srv.Addr, sshchattest.Options{User: "spammer", Key: spamKey})
	alice.Send("/ignore spammer")
	alice.WaitFor("Ignoring spammer")
	srv = restart(t, srv, alice, spam)
	alice = dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	spam = dialWelcome(t, srv.Addr, sshchattest.Options{User: "spammer", Key: spamKey})
	spam.Send("buy now")
	spam.Send("/msg alice buy now privately")
	spam.WaitFor("-> *alice* buy now privately")
	alice.Send("/ignore")
	alice.WaitFor("*** You ignore: spammer")
	if strings.Contains(alice.Text(), "buy now") {
		t.Errorf("alice sees an ignored key after a restart:\n%s", alice.Text())
	}
}

// TestPacedPasteSaysLinesAreQueued: a paste that outruns the pace is told,
// once, that its lines are queued and how fast they go out.
func TestPacedPasteSaysLinesAreQueued(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{Rate: 50, Burst: 5})
	c := dialWelcome(t, srv.Addr, sshchattest.Options{User: "paster"})
	var paste strings.Builder
	for i := range 20 {
		fmt.Fprintf(&paste, "pasted %02d\n", i)
	}
	c.Write(paste.String())
	text := c.WaitFor("paster: pasted 19\n")
	if n := strings.Count(text, "*** Your lines are queued and sent at 50 a second; nothing is lost."); n != 1 {
		t.Errorf("the queued notice was shown %d times:\n%s", n, text)
	}
}
