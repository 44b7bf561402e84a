package cluster

import (
	"testing"
	"time"
)

// One room line stuck in the local store (the read model never commits
// it) must cost live delivery one timeout, not one per later line: each
// line waiting its own 10 s made a node deliver one line per 10 s for
// every room. Once the mark moves again, waiting resumes.
func TestStuckReadModelCostsOneTimeoutNotOnePerLine(t *testing.T) {
	a := newAppliedMark(0)
	a.hand(1, true) // never committed
	a.hand(2, true)
	a.committed(2, true)
	if a.wait(2, 10*time.Millisecond, nil) {
		t.Fatal("line 2 reported applied while line 1 is not")
	}
	// The next lines give up at once: a timeout of an hour is never met.
	returned := make(chan bool)
	go func() { returned <- a.wait(3, time.Hour, nil) }()
	select {
	case ok := <-returned:
		if ok {
			t.Fatal("line 3 reported applied")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a line waits again for a read model that already timed out")
	}
	// The stuck line commits: the mark moves, and waits wait again.
	a.committed(1, true)
	if !a.wait(2, time.Hour, nil) {
		t.Fatal("line 2 not applied after line 1 committed")
	}
	a.hand(3, true)
	go func() { returned <- a.wait(3, time.Hour, nil) }()
	a.committed(3, true)
	select {
	case ok := <-returned:
		if !ok {
			t.Fatal("line 3 not reported applied")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a wait after the mark moved never returned")
	}
}
