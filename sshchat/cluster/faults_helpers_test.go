package cluster_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

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
// numbered lines, in order, once they reach endOfFlood, which the caller
// made sure c has seen. A node's read model is filled from the stream
// apart from its live delivery, so it may lag the line just shown by a
// moment: ask again until it has caught up (bounded).
func historyOf(t *testing.T, c *sshchattest.Client) []string {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for asked := 1; ; asked++ {
		before := len(c.Text())
		// "/history 1" answers after the full answer: the end of it.
		c.Send("/history 500")
		c.Send("/history 1")
		text := c.WaitUntil("the history", func(text string) bool {
			return strings.Contains(text[before:], "Last 1 line of #lobby")
		})
		_, after, _ := strings.Cut(text[before:], "lines of #lobby")
		answer, _, _ := strings.Cut(after, "Last 1 line of #lobby")
		if strings.Contains(answer, "left out") {
			t.Fatalf("history was cut short: %s", answer)
		}
		if strings.Contains(answer, ": "+endOfFlood) {
			if asked > 1 {
				t.Logf("history had the last line shown after %d asks", asked)
			}
			return saidLines(answer)
		}
		if time.Now().After(deadline) {
			t.Fatalf("history still lacks %s after %v (%d asks):\n%s", endOfFlood, waitTimeout, asked, answer)
		}
		time.Sleep(100 * time.Millisecond) // the read model catches up by itself
	}
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
