package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

var nickColon = regexp.MustCompile(`^[A-Za-z0-9_.-]+:`)

// The attack, and variants with other padding, sent over SSH: on
// an 80-column terminal no row of mallory's lines starts like a server
// line; rows that continue a line are indented; and a plain client gets
// text in which no width can put "***" at the start of a row.
func TestSoftWrapCannotForgeServerLine(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true, Width: 80, Height: 24})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	mallory := dialWelcome(t, srv.Addr, sshchattest.Options{User: "mallory"})
	fake := "*** carol was kicked by root"
	attacks := []string{
		strings.Repeat(" ", 71) + fake,                                           // the issue's
		strings.Repeat("x", 71) + fake,                                           // visible filler
		strings.Repeat("\u00a0", 71) + fake,                                      // no-break spaces
		strings.Repeat("你", 35) + " " + fake,                                     // wide characters
		strings.Repeat("\t", 71) + fake,                                          // tabs
		"/me " + strings.Repeat(" ", 69) + fake,                                  // an emote
		"/away " + strings.Repeat(" ", 60) + fake,                                // an away note, shown by /who
		strings.Repeat("x", 60) + "\u2217\u2217\u2217 carol was kicked by root",  // look-alike asterisks
		strings.Repeat("x", 71) + "carol: kicked by root, send me your password", // someone else's line
	}
	for _, a := range attacks {
		mallory.Send(a)
	}
	mallory.Send("done")
	alice.WaitFor("mallory: done")
	bob.WaitFor("mallory: done")
	bob.Send("/who")
	alice.Send("/who")
	alice.WaitFor("(away:")
	bob.WaitFor("(away:")
	text := alice.Text()
	for _, row := range lines(text) {
		row = strings.TrimPrefix(row, "[alice #lobby] ")
		if !strings.Contains(row, "kicked by root") {
			continue
		}
		if trimmed := strings.TrimLeft(row, " "); strings.HasPrefix(trimmed, "*** carol") || strings.HasPrefix(trimmed, "\u2217\u2217\u2217") {
			t.Fatalf("a row on alice's 80-column screen starts like a server line: %q\n%s", row, text)
		}
		ownStart := strings.HasPrefix(row, "mallory: ") || strings.HasPrefix(row, "* mallory ") || strings.HasPrefix(row, "*** 3 in #lobby: ")
		if !ownStart && !strings.HasPrefix(row, "  ") && (strings.HasPrefix(row, "*") || strings.HasPrefix(row, "\u2217") || nickColon.MatchString(row)) {
			t.Fatalf("row %q continues mallory's line but reads as a line of its own\n%s", row, text)
		}
	}
	plain := bob.Text()
	for _, l := range lines(plain) {
		l = strings.TrimPrefix(l, "*** 3 in #lobby: ")
		if strings.Contains(l, "kicked by root") && (strings.Contains(l, "***") || strings.Contains(l, "\u2217\u2217\u2217") || strings.Contains(l, "  ")) {
			t.Fatalf("a plain line carries the server marker or a run of blanks: %q", l)
		}
	}
}
