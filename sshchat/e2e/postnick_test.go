package e2e

import (
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// `ssh -l NAME host say ...` posts only under a name its key owns or one
// that nobody else owns or is using: never under the nick of someone
// online, borrowed or owned.
func TestOneShotSayCannotPostAsSomeoneOnline(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	watcher := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"}) // owns bob
	carolKey := sshchattest.NewKey(t)
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol", Key: carolKey}) // owns carol
	// Carol's key owns carol, so these names are borrowed, not owned.
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob_2", Key: carolKey})
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "dave", Key: carolKey})
	watcher.WaitFor("dave joined")

	if _, stderr, status := run(t, srv.Addr, sshchattest.NewKey(t), "bob", "say from a stranger called bob"); status != 0 {
		t.Fatalf("say as bob: status %d, %s", status, stderr)
	}
	if _, stderr, status := run(t, srv.Addr, sshchattest.NewKey(t), "dave", "say from a stranger called dave"); status != 0 {
		t.Fatalf("say as dave: status %d, %s", status, stderr)
	}
	text := watcher.WaitFor("from a stranger called dave")
	watcher.WaitFor("from a stranger called bob")
	for _, l := range lines(watcher.Text()) {
		if !strings.Contains(l, "from a stranger") {
			continue
		}
		if nick, _, _ := strings.Cut(l, ": "); nick != "bob_3" && nick != "dave_2" {
			t.Fatalf("a one-shot post appeared as %q, a name in use:\n%s", nick, text)
		}
	}
	if !hasLine(watcher.Text(), "bob_3: from a stranger called bob") || !hasLine(watcher.Text(), "dave_2: from a stranger called dave") {
		t.Fatalf("posts not under the first free names:\n%s", watcher.Text())
	}
}
