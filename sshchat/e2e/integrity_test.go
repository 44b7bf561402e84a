package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// seqsOf returns the seq of every line of `history --json` output.
func seqsOf(t *testing.T, out string) map[string]uint64 {
	t.Helper()
	seqs := make(map[string]uint64)
	for _, l := range lines(out) {
		if l == "" {
			continue
		}
		var v struct {
			Text string `json:"text"`
			Seq  uint64 `json:"seq"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("history line %q: %v", l, err)
		}
		seqs[v.Text] = v.Seq
	}
	return seqs
}

// A line the store refused is shown to nobody, its sender is told, a
// one-shot say fails, and no sequence number anyone saw is given again,
// not even after a restart.
func TestUnstoredLineIsNotShown(t *testing.T) {
	fs := &faultStore{}
	srv := startDurable(t, sshchat.Config{WrapStore: fs.wrap})
	aliceKey := sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})

	alice.Send("stored before")
	bob.WaitFor("alice: stored before")

	fs.fail.Store(true)
	alice.Send("never stored")
	alice.WaitFor("*** Not sent: the server could not store it.")
	_, stderr, status := run(t, srv.Addr, aliceKey, "alice", "say never stored either")
	if status != 1 || !strings.Contains(stderr, "could not store it") {
		t.Fatalf("say with a failing store: status %d, stderr %q; want 1 and the reason", status, stderr)
	}
	alice.Send("/msg bob a secret never stored")
	alice.WaitCount("*** Not sent: the server could not store it.", 2)
	fs.fail.Store(false)

	alice.Send("stored after")
	bob.WaitFor("alice: stored after")
	alice.WaitFor("alice: stored after")
	for _, c := range []*sshchattest.Client{alice, bob} {
		if text := c.Text(); strings.Contains(text, ": never stored") || strings.Contains(text, "a secret never stored") {
			t.Fatalf("a line that was not stored was shown:\n%s", text)
		}
	}
	out, _, _ := run(t, srv.Addr, aliceKey, "alice", "history --json")
	seen := seqsOf(t, out)
	if len(seen) != 2 || seen["stored after"] <= seen["stored before"] {
		t.Fatalf("history after a failure: %v", seen)
	}

	// The last line fails, then the server restarts: the next line gets
	// a number above every number anyone was shown.
	fs.fail.Store(true)
	alice.Send("the last word, lost")
	alice.WaitCount("*** Not sent: the server could not store it.", 3) // two came before
	fs.fail.Store(false)
	srv = restart(t, srv, alice, bob)
	if _, _, status := run(t, srv.Addr, aliceKey, "alice", "say after the restart"); status != 0 {
		t.Fatalf("say after the restart: status %d", status)
	}
	out, _, _ = run(t, srv.Addr, aliceKey, "alice", "history --json")
	seqs := seqsOf(t, out)
	if _, ok := seqs["the last word, lost"]; ok {
		t.Fatal("the unstored line is in history")
	}
	if seqs["after the restart"] <= seen["stored after"] {
		t.Fatalf("after a restart a line got seq %d, not above the %d already shown", seqs["after the restart"], seen["stored after"])
	}
}
