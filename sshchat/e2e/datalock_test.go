package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Two servers on one data folder would hand out the same sequence numbers
// and lose lines: the second refuses to start, with a one-line reason, and
// the folder is free again once the first has stopped.
func TestSecondServerRefusesDataDir(t *testing.T) {
	first := startDurable(t, sshchat.Config{})
	cfg := first.Cfg
	cfg.Logger = nil
	cfg.HostKeyPath = filepath.Join(t.TempDir(), "other_host_key")
	second, err := sshchat.New(cfg)
	if err == nil {
		second.Close()
		t.Fatal("a second server started on a data folder in use")
	}
	if msg := err.Error(); !strings.Contains(msg, "already using this data folder") || strings.Contains(msg, "\n") {
		t.Fatalf("refusal %q: want one line saying the folder is in use", msg)
	}
	c := dialWelcome(t, first.Addr, sshchattest.Options{User: "alice"})
	c.Send("still here")
	c.WaitFor("alice: still here")

	restarted := restart(t, first, c) // the lock goes with the first server
	dialWelcome(t, restarted.Addr, sshchattest.Options{User: "bob"})
}
