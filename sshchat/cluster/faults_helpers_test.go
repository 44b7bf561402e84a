package cluster_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// endOfFlood is the line a fault test sends last; once a client has seen
// it, every line sent before it is settled.
const endOfFlood = "n999999"

// flood types n lines "n0".."n<n-1>" into c's session and stops early at
// the first write error (its node may be killed under it). It never
// fails the test, so it may run on its own goroutine.
func flood(c *sshchattest.Client, n int) {
	for i := range n {
		if _, err := io.WriteString(c.Stdin(), fmt.Sprintf("n%d\n", i)); err != nil {
			return
		}
	}
}

// historyOf asks for the room's history in c's session and returns its
// numbered lines, in order. The caller makes sure c has already seen
// endOfFlood, the last line of history.
func historyOf(t *testing.T, c *sshchattest.Client) []string {
	t.Helper()
	before := len(c.Text())
	c.Send("/history 500")
	text := c.WaitUntil("the history up to the last line", func(text string) bool {
		_, after, ok := strings.Cut(text[before:], "lines of #lobby")
		return ok && strings.Contains(after, ": "+endOfFlood)
	})
	_, after, _ := strings.Cut(text[before:], "lines of #lobby")
	if strings.Contains(after, "left out") {
		t.Fatalf("history was cut short: %s", after)
	}
	return saidLines(after)
}

// missingFrom returns the first line of seen that is not in history in
// the same order ("" when seen is an ordered subsequence of history).
func missingFrom(seen, history []string) string {
	i := 0
	for _, line := range seen {
		for i < len(history) && history[i] != line {
			i++
		}
		if i == len(history) {
			return line
		}
		i++
	}
	return ""
}

// assertSeenInHistory fails the test unless every numbered line each
// client saw is in history, in the order that client saw it.
func assertSeenInHistory(t *testing.T, history []string, seen map[string][]string) {
	t.Helper()
	for who, lines := range seen {
		if line := missingFrom(lines, history); line != "" {
			t.Errorf("%s saw %q, which history lacks or has out of order\nseen:    %v\nhistory: %v", who, line, lines, history)
		}
	}
}
