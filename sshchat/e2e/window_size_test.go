package e2e

import (
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// resize sends a window-change that asks for a reply, so that the test
// knows the server has applied it (clients send them without one).
func resize(t *testing.T, s *gossh.Session, width, height int) {
	t.Helper()
	payload := gossh.Marshal(struct{ W, H, WPx, HPx uint32 }{uint32(width), uint32(height), 0, 0})
	ok, err := s.SendRequest("window-change", true, payload)
	if err != nil || !ok {
		t.Fatalf("window change to %dx%d: ok %v, err %v", width, height, ok, err)
	}
}

// TestWindowChangesSetTheWidthBeforeAndAfterTheShell: window changes no
// longer pass through the library's request loop (it ends when the
// session starts); the channel's request filter applies them. A line that
// would forge a server line on a narrow terminal shows where each change
// went: wrapped (and indented) at 80 columns, one row at 1000.
func TestWindowChangesSetTheWidthBeforeAndAfterTheShell(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true, Width: 1000, Height: 24,
		BeforeShell: func(s *gossh.Session) { resize(t, s, 80, 24) }})
	mallory := dialWelcome(t, srv.Addr, sshchattest.Options{User: "mallory"})
	filler := strings.Repeat("x", 71)

	rowWith := func(mark string) string {
		alice.WaitFor(mark)
		for _, row := range lines(alice.Text()) {
			if strings.Contains(row, mark) {
				return row
			}
		}
		t.Fatalf("no row with %q", mark)
		return ""
	}
	for _, step := range []struct {
		width   int
		mark    string
		wrapped bool
	}{
		{0, "carol A", true},     // the size set before the shell: 80
		{1000, "carol B", false}, // after the shell
		{80, "carol C", true},
	} {
		if step.width > 0 {
			resize(t, alice.Sess, step.width, 24)
		}
		mallory.Send(filler + "*** " + step.mark)
		row := rowWith(step.mark)
		if got := !strings.Contains(row, "mallory:"); got != step.wrapped {
			t.Errorf("%s: wrapped %v, want %v (row %q)", step.mark, got, step.wrapped, row)
		}
	}
}
