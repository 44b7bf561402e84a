package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestConcurrentIgnoresOverSSHLoseNoEntry: two SSH sessions of one key
// that type /ignore for different people at the same time keep every
// entry, in both sessions and at the key's next login after a restart.
// (The chat package's TestConcurrentIgnoresOfOneKeyLoseNoEntry drives the
// same race round by round.)
func TestConcurrentIgnoresOverSSHLoseNoEntry(t *testing.T) {
	srv := startDurable(t, sshchat.Config{Rate: -1}) // no pacing: both sessions at full speed
	key := sshchattest.NewKey(t)
	sessions := []*sshchattest.Client{
		dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key}),
		dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key}),
	}
	const each = 40 // 80 in all, within the cap of 100
	var want []string
	var wg sync.WaitGroup
	for s, c := range sessions {
		var mine []string
		for i := range each {
			sum := sha256.Sum256(fmt.Appendf(nil, "%d-%d", s, i))
			mine = append(mine, "SHA256:"+base64.RawStdEncoding.EncodeToString(sum[:]))
		}
		want = append(want, mine...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, k := range mine {
				c.Send("/ignore " + k)
			}
		}()
	}
	wg.Wait()
	for _, c := range sessions {
		c.WaitCount("*** Ignoring SHA256:", each)
	}
	for s, c := range sessions {
		c.Send("/ignore")
		list := wholeLine(c, "*** You ignore: ")
		if lost := missingKeys(list, want); lost > 0 {
			t.Errorf("session %d lost %d of %d entries", s, lost, len(want))
		}
	}

	srv = restart(t, srv, sessions...)
	again := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key})
	again.Send("/ignore")
	list := wholeLine(again, "*** You ignore: ")
	if lost := missingKeys(list, want); lost > 0 {
		t.Errorf("after a restart the key's list lost %d of %d entries", lost, len(want))
	}
}

// wholeLine waits for the last line starting with prefix to arrive whole
// (a long line can come in several writes) and returns it.
func wholeLine(c *sshchattest.Client, prefix string) string {
	text := c.WaitUntil("a whole line "+prefix, func(text string) bool {
		i := strings.LastIndex(text, prefix)
		return i >= 0 && strings.Contains(text[i:], "\n")
	})
	text = text[strings.LastIndex(text, prefix):]
	return text[:strings.Index(text, "\n")]
}

// missingKeys counts the keys of want that text does not name.
func missingKeys(text string, want []string) (missing int) {
	for _, k := range want {
		if !strings.Contains(text, k) {
			missing++
		}
	}
	return missing
}
