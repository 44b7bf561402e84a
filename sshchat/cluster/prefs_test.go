package cluster_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/cluster"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Preferences follow the key to another node: theme, timestamps, time
// zone and the ignore list set on node A are what node B loads when the
// same key connects there (as after a load balancer's pick), and B hides
// the ignored person's lines.
func TestPrefsSetOnOneNodeApplyOnAnother(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{})

	aliceKey, bobKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	bob := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.WaitFor("Welcome to #lobby, bob!")
	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	alice.WaitFor("Welcome to #lobby, alice!")
	alice.Send("/theme mono")
	alice.WaitFor("Theme: mono.")
	alice.Send("/timestamp on")
	alice.WaitFor("Timestamps on.")
	alice.Send("/tz Europe/Warsaw")
	alice.WaitFor("Time zone: Europe/Warsaw")
	alice.Send("/ignore bob")
	alice.WaitFor("Ignoring bob")
	alice.Send("/quit")
	alice.WaitClosed()

	again := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	again.WaitFor("Welcome to #lobby, alice!")
	again.Send("/theme")
	again.WaitFor("Yours is mono.")
	again.Send("/timestamp")
	again.WaitFor("Timestamps are on.")
	again.Send("/tz")
	again.WaitFor("Your time zone is Europe/Warsaw")
	again.Send("/ignore")
	again.WaitFor("You ignore: " + gossh.FingerprintSHA256(bobKey.PublicKey()))

	carol := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "carol"})
	carol.WaitFor("Welcome to #lobby, carol!")
	bob.Send("a line alice ignores")
	carol.WaitFor("bob: a line alice ignores")
	again.Send("after bob")
	text := again.WaitFor("alice: after bob")
	if strings.Contains(text, "a line alice ignores") {
		t.Fatalf("node B showed an ignored key's line:\n%s", text)
	}
}

// One key's preferences are bounded however many or large the settings a
// client (or a bug) asks the store to keep: the bucket holds one small
// value per key, not a growing pile.
func TestPrefsFloodIsCapped(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	s := openClusterStore(t, nats.URL(), "a")
	ctx := testContext(t)
	const key = "SHA256:flooder"
	if err := s.SetPref(ctx, key, "ignore", strings.Repeat("x", 9<<10)); !errors.Is(err, cluster.ErrPrefsTooLarge) {
		t.Fatalf("SetPref of a 9 KiB value: %v, want ErrPrefsTooLarge", err)
	}
	var refused int
	for i := range 100 {
		err := s.SetPref(ctx, key, "name"+strings.Repeat("n", i), strings.Repeat("v", 1000))
		if errors.Is(err, cluster.ErrPrefsTooLarge) {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if refused == 0 {
		t.Fatal("100 settings of 1 KB each were all kept")
	}
	p, err := s.Prefs(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) > 32 {
		t.Fatalf("kept %d settings", len(p))
	}
	// Changing a kept setting still works at the bound.
	if err := s.SetPref(ctx, key, "name", "small"); err != nil {
		t.Fatalf("change a kept setting at the bound: %v", err)
	}
}

// A person online on two nodes at once who changes a setting on one sees
// it applied on the other without reconnecting.
func TestPrefsChangeReachesOpenSessionOnAnotherNode(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{})

	aliceKey, bobKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	bob := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.WaitFor("Welcome to #lobby, bob!")
	onA := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	onA.WaitFor("Welcome to #lobby, alice!")
	onB := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	onB.WaitFor("Welcome to #lobby")

	onA.Send("/timestamp on")
	onA.WaitFor("Timestamps on.")
	onA.Send("/ignore bob")
	onA.WaitFor("Ignoring bob")
	askUntil(t, onB, "/timestamp", "Timestamps are on.")
	askUntil(t, onB, "/ignore", "You ignore: "+gossh.FingerprintSHA256(bobKey.PublicKey()))
}

// askUntil sends question to c until its answer contains want.
func askUntil(t *testing.T, c *sshchattest.Client, question, want string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		before := strings.Count(c.Text(), want)
		c.Send(question)
		for wait := time.Now().Add(500 * time.Millisecond); time.Now().Before(wait); {
			if strings.Count(c.Text(), want) > before {
				return
			}
			time.Sleep(20 * time.Millisecond) // a pause between polls
		}
	}
	t.Fatalf("%q never answered %q:\n%s", question, want, c.Text())
}
