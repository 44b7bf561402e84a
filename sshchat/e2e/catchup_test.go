package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// historyLinesAfter returns the history lines (without their time) that
// follow the line heading in text, up to the first line not from history.
func historyLinesAfter(t *testing.T, text, heading string) []string {
	t.Helper()
	ls := lines(text)
	for i, l := range ls {
		if l != heading {
			continue
		}
		var got []string
		for _, l := range ls[i+1:] {
			p := historyPrefix.FindString(l)
			if p == "" {
				break
			}
			got = append(got, l[len(p):])
		}
		return got
	}
	t.Fatalf("no line %q in:\n%s", heading, text)
	return nil
}

// TestCatchUpAfterAbsence: alice leaves, bob posts 30 lines in #lobby (2
// name alice) and 3 in #dev; alice comes back and sees the summary, the
// lines that name her first, then exactly the 30 unread lines; after a
// second reconnect nothing is replayed again.
func TestCatchUpAfterAbsence(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	srv := sshchattest.Start(t, sshchat.Config{Now: clock.Now})
	aliceKey := sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	alice.Send("/join #dev")
	alice.WaitFor("You are now in #dev.")
	alice.Send("/part")
	alice.WaitFor("You are now in #lobby.")
	alice.Send("before I go")
	bob.WaitFor("alice: before I go")
	alice.WaitFor("alice: before I go") // shown to her too: read
	alice.Close()
	bob.WaitFor("alice left")

	var want []string
	for i := 1; i <= 30; i++ {
		text := fmt.Sprintf("lobby line %d", i)
		if i == 10 || i == 20 {
			text = fmt.Sprintf("alice, look at %d", i)
		}
		bob.Send(text)
		want = append(want, "bob: "+text)
	}
	bob.WaitFor("bob: lobby line 30")
	bob.Send("/join #dev")
	bob.WaitFor("You are now in #dev.")
	for i := 1; i <= 3; i++ {
		bob.Send(fmt.Sprintf("dev line %d", i))
	}
	bob.WaitFor("bob: dev line 3")

	alice = dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	text := alice.WaitFor("30 new lines in #lobby since you were last here:")
	text = alice.WaitFor("bob: lobby line 30\n")
	if !hasLine(text, "*** #lobby: 30 new lines, 2 mention you; #dev: 3 new lines") {
		t.Errorf("no summary line in:\n%s", text)
	}
	mentions := historyLinesAfter(t, text, "*** 2 lines that mention you in #lobby:")
	if strings.Join(mentions, "|") != "bob: alice, look at 10|bob: alice, look at 20" {
		t.Errorf("mentions listed: %q", mentions)
	}
	if strings.Index(text, "mention you in #lobby:") > strings.Index(text, "new lines in #lobby since") {
		t.Errorf("mentions are not listed first:\n%s", text)
	}
	got := historyLinesAfter(t, text, "*** 30 new lines in #lobby since you were last here:")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("unread lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(text, "before I go") {
		t.Errorf("a line alice had seen was replayed:\n%s", text)
	}
	alice.Send("/unread") // /unread answers a key once every 5 s
	alice.WaitFor("#dev: 3 new lines\n")
	alice.Send("/join #dev")
	text = alice.WaitFor("bob: dev line 3\n")
	if got := historyLinesAfter(t, text, "*** 3 new lines in #dev since you were last here:"); len(got) != 3 {
		t.Errorf("#dev unread lines: %q", got)
	}
	// One more answer from the server: its writer marks what it wrote
	// (the #dev lines) before it writes this, so the marker has moved.
	block(t, alice, "/whoami")
	clock.Advance(5 * time.Second)
	alice.Send("/unread")
	alice.WaitFor("*** Nothing unread.")
	alice.Close()
	bob.WaitFor("alice left")

	alice = dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	text = alice.WaitFor("No new lines in #lobby since you were last here.")
	clock.Advance(5 * time.Second)
	alice.Send("/unread")
	text = alice.WaitFor("*** Nothing unread.")
	if !hasLine(text, "*** Nothing new since you were last here.") {
		t.Errorf("second return: no summary saying nothing is new:\n%s", text)
	}
	for _, l := range lines(text) {
		if historyPrefix.MatchString(l) {
			t.Errorf("second return replayed %q:\n%s", l, text)
		}
	}
}

// TestCatchUpLongAbsenceShowsScrollbackAndSaysHowManyMore: more unread
// lines than the scrollback holds are shown as the newest ones, with the
// count of the earlier ones and the /history that shows them.
func TestCatchUpLongAbsenceShowsScrollbackAndSaysHowManyMore(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{Scrollback: 5})
	key := sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	alice.Close()
	bob.WaitFor("alice left")
	for i := 1; i <= 12; i++ {
		bob.Send(fmt.Sprintf("line %d", i))
	}
	bob.WaitFor("bob: line 12")
	alice = dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key})
	heading := "*** Last 5 of 12 new lines in #lobby (and 7 earlier, /history 12 to see them):"
	text := alice.WaitFor("bob: line 12\n")
	if got := historyLinesAfter(t, text, heading); strings.Join(got, "|") != "bob: line 8|bob: line 9|bob: line 10|bob: line 11|bob: line 12" {
		t.Errorf("lines shown: %q", got)
	}
}

// tailLines runs `tail ARGS` as key and returns its output lines as they
// come, and a function that ends it.
func tailLines(t *testing.T, addr string, key gossh.Signer, args string) (<-chan string, func()) {
	t.Helper()
	conn, err := gossh.Dial("tcp", addr, sshchattest.ClientConfig(t, sshchattest.Options{User: "bridge", Key: key}))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start("tail " + args); err != nil {
		t.Fatal(err)
	}
	out := make(chan string, 1000)
	go func() {
		defer close(out)
		buf := make([]byte, 4096)
		var acc string
		for {
			n, err := stdout.Read(buf)
			acc += string(buf[:n])
			for {
				i := strings.IndexByte(acc, '\n')
				if i < 0 {
					break
				}
				out <- acc[:i]
				acc = acc[i+1:]
			}
			if err != nil {
				return
			}
		}
	}()
	return out, func() {
		conn.Close()
		for range out {
		}
	}
}

// nextTexts reads n JSON lines from a tail and returns their texts.
func nextTexts(t *testing.T, out <-chan string, n int) []string {
	t.Helper()
	var texts []string
	deadline := time.After(30 * time.Second)
	for len(texts) < n {
		select {
		case l, ok := <-out:
			if !ok {
				t.Fatalf("tail ended after %q", texts)
			}
			var v struct{ Text string }
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			texts = append(texts, v.Text)
		case <-deadline:
			t.Fatalf("tail stalled after %q", texts)
		}
	}
	return texts
}

// TestBridgeResumesFromItsMarkerWithoutLossOrRepeat: a bridge that
// reconnects with tail --since-marker gets exactly the lines it missed,
// and a person's read marker of the same key is not moved by it.
func TestBridgeResumesFromItsMarkerWithoutLossOrRepeat(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.Send("old 1")
	bob.Send("old 2")
	bob.WaitFor("bob: old 2")
	key := sshchattest.NewKey(t)
	noExec := func(m map[string]float64) bool { return m[`sshchat_sessions_open{kind="exec"}`] == 0 }

	// First run: no marker yet, so the last N lines, then live ones.
	out, stop := tailLines(t, srv.Addr, key, "--since-marker -n 1 --json")
	if got := nextTexts(t, out, 1); got[0] != "old 2" {
		t.Fatalf("first run printed %q", got)
	}
	bob.Send("live 1")
	if got := nextTexts(t, out, 1); got[0] != "live 1" {
		t.Fatalf("first run live: %q", got)
	}
	stop()
	waitMetrics(t, srv, "the tail ended", noExec)

	for round := range 3 {
		var want []string
		for i := range 4 {
			text := fmt.Sprintf("missed %d.%d", round, i)
			bob.Send(text)
			want = append(want, text)
		}
		bob.WaitFor(fmt.Sprintf("bob: missed %d.3", round))
		out, stop = tailLines(t, srv.Addr, key, "--since-marker --json")
		got := nextTexts(t, out, 4)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("round %d: the bridge got %q, want %q", round, got, want)
		}
		bob.Send(fmt.Sprintf("live %d", round))
		if got := nextTexts(t, out, 1); got[0] != fmt.Sprintf("live %d", round) {
			t.Fatalf("round %d live: %q (a line repeated?)", round, got)
		}
		stop()
		waitMetrics(t, srv, "the tail ended", noExec)
	}

	conn, err := gossh.Dial("tcp", srv.Addr, sshchattest.ClientConfig(t, sshchattest.Options{Guest: true}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	sess.Stderr = &stderr
	if err := sess.Run("tail --since-marker"); err == nil || !strings.Contains(stderr.String(), "needs an SSH key") {
		t.Errorf("a guest's tail --since-marker: %v, stderr %q", err, stderr.String())
	}
}

// TestUnreadFloodIsCapped: /unread reads many rows at its bounds, so a key
// gets one answer every 5 seconds, whichever of its sessions asks.
func TestUnreadFloodIsCapped(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	srv := sshchattest.Start(t, sshchat.Config{Now: clock.Now})
	key := sshchattest.NewKey(t)
	one := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key})
	two := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key})
	one.WaitFor("alice_2 joined")
	two.WaitFor("alice_2 joined")
	if got := block(t, one, "/unread"); got != "*** Nothing unread.\n" {
		t.Errorf("first /unread: %q", got)
	}
	for range 50 {
		two.Send("/unread")
	}
	block(t, two, "/unread")
	if n := strings.Count(two.Text(), "*** /unread answers once every 5 seconds; ask again in 5.\n"); n != 51 {
		t.Errorf("the key's other session was told to wait %d times, want 51:\n%s", n, two.Text())
	}
	if n := strings.Count(two.Text(), "Nothing unread"); n != 0 {
		t.Errorf("the flood was answered %d times", n)
	}
	clock.Advance(5 * time.Second)
	if got := block(t, two, "/unread"); got != "*** Nothing unread.\n" {
		t.Errorf("/unread after 5 s: %q", got)
	}
}

// TestMarkreadClearsAndGuestsHaveNoMarker: /markread clears what /unread
// lists (the next /join shows nothing again), and a guest is told that
// guests have no read marker.
func TestMarkreadClearsAndGuestsHaveNoMarker(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	key := sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key})
	alice.Send("/join #dev")
	alice.WaitFor("You are now in #dev.")
	alice.Send("/part")
	alice.WaitFor("You are now in #lobby.")
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.Send("/join #dev")
	bob.WaitFor("You are now in #dev.")
	bob.Send("unseen")
	bob.WaitFor("bob: unseen")
	alice.WaitFor("bob left #lobby.") // quiet from here on: answers below are exact
	if got := block(t, alice, "/markread"); got != "*** Marked as read: #dev.\n" {
		t.Errorf("/markread: %q", got)
	}
	start := len(alice.Text())
	alice.Send("/join #dev")
	text := alice.WaitCount("You are now in #dev.", 2)[start:]
	if !strings.Contains(text, "*** No new lines in #dev since you were last here.") || strings.Contains(text, "unseen") {
		t.Errorf("/join after /markread:\n%s", text)
	}
	guest := dialWelcome(t, srv.Addr, sshchattest.Options{Guest: true})
	guest.Send("/unread")
	guest.WaitFor("*** Guests have no read markers: connect with an SSH key to catch up on what you missed.")
	guest.Send("/help")
	guest.WaitFor("catch up on what you missed (read markers).")
}
