package chat

import (
	"testing"
	"time"
)

// waitStored waits until every line queued in r so far has been handed to
// the store (its pump is idle): leaves are announced by a goroutine, so a
// test that counts what follows a leave waits for this first.
func waitStored(t *testing.T, r *Room) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.seqMu.Lock()
		idle := !r.pumping && len(r.backlog) == 0
		r.seqMu.Unlock()
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: lines still waiting for the store after 10s", r.Name())
		}
		time.Sleep(time.Millisecond) // polling a condition, with a deadline
	}
}
