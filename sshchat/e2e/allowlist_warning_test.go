package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestEmptyAllowlistIsWarnedAbout: an allowlist file with no keys locks
// everyone out; the server says so loudly instead of starting quietly.
func TestEmptyAllowlistIsWarnedAbout(t *testing.T) {
	path := writeKeyFile(t, filepath.Join(t.TempDir(), "allowlist"))
	srv := sshchattest.Start(t, sshchat.Config{AllowlistFile: path})
	if logs := srv.Logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "the allowlist has no keys: everyone is refused") {
		t.Fatalf("no warning about the empty allowlist:\n%s", logs)
	}
}
