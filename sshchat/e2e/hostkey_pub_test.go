package e2e

import (
	"os"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestPublicHostKeyFileMatchesTheKey: the .pub file beside the host key is
// what an operator publishes for known_hosts; it must be the server's key.
func TestPublicHostKeyFileMatchesTheKey(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	data, err := os.ReadFile(srv.Cfg.HostKeyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	key, comment, _, _, err := gossh.ParseAuthorizedKey(data)
	if err != nil {
		t.Fatalf("parse %q: %v", data, err)
	}
	if got := gossh.FingerprintSHA256(key); got != srv.HostKeyFingerprint() || comment != "sshchat host key" {
		t.Fatalf(".pub has %s (%q), the server %s", got, comment, srv.HostKeyFingerprint())
	}
	if fi, err := os.Stat(srv.Cfg.HostKeyPath + ".pub"); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf(".pub mode: %v %v", fi.Mode(), err)
	}
}
