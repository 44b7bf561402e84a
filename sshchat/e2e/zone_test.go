package e2e

import (
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestTimesShownInOwnZone: history, scrollback, offline messages and
// /whois show times in the person's zone, /tz takes names in any case, and
// a TZ the client sent that the server cannot read is reported.
func TestTimesShownInOwnZone(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	srv := sshchattest.Start(t, sshchat.Config{Now: clock.Now})
	bobKey := sshchattest.NewKey(t)
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.Send("noon in London")
	bob.WaitFor("bob: noon in London")

	aliceKey := sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	if !hasLine(alice.Text(), "[2026-01-15 12:00] bob: noon in London") {
		t.Errorf("scrollback without a zone is not in UTC:\n%s", alice.Text())
	}
	alice.Send("/tz europe/warsaw")
	alice.WaitFor("Time zone: Europe/Warsaw, now 13:00 CET.")
	alice.Send("/history 1")
	alice.WaitFor("[2026-01-15 13:00] bob: noon in London")
	alice.Send("/whois bob")
	alice.WaitFor("connected since 2026-01-15 13:00 CET")
	alice.Send("/tz UTC")
	alice.WaitFor("Time zone: UTC, now 12:00 UTC.")
	alice.Send("/tz utc")
	alice.WaitCount("Time zone: UTC, now 12:00 UTC.", 2) // a join line may come between the two answers
	alice.Send("/tz America/new_york")
	alice.WaitFor("Time zone: America/New_York, now 07:00 EST.")
	alice.Close()
	bob.WaitFor("alice left")

	// Kept while she is offline, shown at her return in her zone (saved
	// with her key).
	bob.Send("/msg alice see you")
	bob.WaitFor("see you")
	alice = dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	alice.WaitFor("[2026-01-15 07:00] *bob* see you")

	// A TZ the server cannot read is reported, not silently UTC.
	carol := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "carol", BeforeShell: func(s *gossh.Session) {
		_ = s.Setenv("TZ", "Mars/Olympus_Mons")
	}})
	text := carol.WaitFor("Welcome")
	if !strings.Contains(text, `Your TZ "Mars/Olympus_Mons" is not a zone name this server knows`) {
		t.Errorf("an unreadable TZ was not reported:\n%s", text)
	}
	dave := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "dave", BeforeShell: func(s *gossh.Session) {
		_ = s.Setenv("TZ", ":Asia/Tokyo")
	}})
	dave.WaitFor("Welcome")
	dave.Send("/history 1")
	dave.WaitFor("[2026-01-15 21:00] bob: noon in London")
}
