package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestAnswersComeInTheOrderTyped: a paste of messages, commands, over-long
// lines and two /nick in a row, 100 rounds in one write, comes back to its
// sender exactly in the order typed, although messages pass through the
// store and command answers do not.
func TestAnswersComeInTheOrderTyped(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{MaxLine: 100})
	c := dialWelcome(t, srv.Addr, sshchattest.Options{User: "paster"})
	const rounds = 100
	long := strings.Repeat("x", 150)
	var paste strings.Builder
	var want []string
	nick := "paster"
	for i := range rounds {
		next := fmt.Sprintf("p%d", i)
		fmt.Fprintf(&paste, "r%d one\n/zz%da\nr%d two\n%s\n/nick %s\n/nick %s\nr%d three\n", i, i, i, long, next, next, i)
		want = append(want,
			fmt.Sprintf("%s: r%d one", nick, i),
			fmt.Sprintf("*** Unknown command /zz%da. Type /help for the list.", i),
			fmt.Sprintf("%s: r%d two", nick, i),
			"TOO LONG",
			fmt.Sprintf("*** %s is now known as %s.", nick, next),
			fmt.Sprintf("*** You are already %s.", next),
			fmt.Sprintf("%s: r%d three", next, i),
		)
		nick = next
	}
	start := len(c.Text())
	c.Write(paste.String())
	text := c.WaitFor(fmt.Sprintf("%s: r%d three\n", nick, rounds-1))[start:]
	var got []string
	for _, l := range lines(text) {
		switch {
		case strings.HasPrefix(l, "*** Not sent: the line is"):
			got = append(got, "TOO LONG")
		case strings.Contains(l, ": r"), strings.HasPrefix(l, "*** Unknown command"),
			strings.Contains(l, " is now known as "), strings.HasPrefix(l, "*** You are already"):
			got = append(got, l)
		}
	}
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			lo := max(i-3, 0)
			t.Fatalf("answer %d out of order: got\n%s\nwant\n%s", i,
				strings.Join(got[lo:min(i+4, len(got))], "\n"), strings.Join(want[lo:min(i+4, len(want))], "\n"))
		}
	}
}
