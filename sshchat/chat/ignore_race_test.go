package chat

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// keyOf makes a well-formed key fingerprint for a name.
func keyOf(name string) string {
	sum := sha256.Sum256([]byte(name))
	return fingerprintPrefix + base64.RawStdEncoding.EncodeToString(sum[:])
}

// ignoredList asks m's /ignore for the list and returns its text.
func ignoredList(h *Hub, m *Member) string {
	drainText(m)
	h.Handle(m, "/ignore")
	return drainText(m)
}

// TestConcurrentIgnoresOfOneKeyLoseNoEntry: two sessions of one key that
// /ignore different people at the same moment, round after round, keep
// every entry: in both sessions, in the store, and after a restart. Each
// session used to copy the old list and write back its own copy, so one
// of the two entries of a round could be lost.
func TestConcurrentIgnoresOfOneKeyLoseNoEntry(t *testing.T) {
	h, st := sqliteHub(t, Config{})
	a, _ := join(t, h, "alice")
	b, _ := join(t, h, "alice")
	const rounds = MaxIgnored / 2 // within the bound: every entry must be kept
	var want []string
	for i := range rounds {
		fa, fb := keyOf(fmt.Sprint("a", i)), keyOf(fmt.Sprint("b", i))
		want = append(want, fa, fb)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, edit := range []struct {
			m   *Member
			key string
		}{{a, fa}, {b, fb}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				h.Handle(edit.m, "/ignore "+edit.key)
			}()
		}
		close(start)
		wg.Wait()
		drainText(a)
		drainText(b)
	}
	missing := func(list string) (out []string) {
		for _, k := range want {
			if !strings.Contains(list, k) {
				out = append(out, k)
			}
		}
		return out
	}
	for _, m := range []*Member{a, b} {
		if lost := missing(ignoredList(h, m)); len(lost) > 0 {
			t.Errorf("%s's session lost %d of %d entries", m.Nick(), len(lost), len(want))
		}
	}
	h.Close()

	again := quietHub(Config{Store: st})
	defer again.Close()
	c, _ := join(t, again, "alice")
	if lost := missing(ignoredList(again, c)); len(lost) > 0 {
		t.Errorf("after a restart the key's list lost %d of %d entries", len(lost), len(want))
	}
}

// TestIgnoreCapHoldsAcrossConcurrentSessions: two sessions of one key that
// add entries at the same moment cannot pass MaxIgnored between them.
func TestIgnoreCapHoldsAcrossConcurrentSessions(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	a, _ := join(t, h, "alice")
	b, _ := join(t, h, "alice")
	var wg sync.WaitGroup
	for s, m := range []*Member{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range MaxIgnored {
				h.Handle(m, "/ignore "+keyOf(fmt.Sprint(s, "-", i)))
				drainText(m)
			}
		}()
	}
	wg.Wait()
	for _, m := range []*Member{a, b} {
		if n := len(*m.ignored.Load()); n != MaxIgnored {
			t.Errorf("%s ignores %d people after %d tries from two sessions, want the cap of %d", m.Nick(), n, 2*MaxIgnored, MaxIgnored)
		}
	}
	h.Handle(a, "/ignore "+keyOf("one more"))
	if got := drainText(a); !strings.Contains(got, "you already ignore 100 people") {
		t.Errorf("past the cap /ignore answered %q", got)
	}
}
