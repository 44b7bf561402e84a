package chat

import (
	"sync"
	"time"
)

// inflightLines counts one member's lines handed to the store and not yet
// delivered, and lets their reader wait for them without a goroutine of
// its own. A sync.WaitGroup cannot be waited on with a timeout: each wait
// needed a goroutine blocked in Wait, and with a store that never answers
// every command typed left one behind (10,000 commands, 10,000 goroutines).
type inflightLines struct {
	mu sync.Mutex // lock tier: leaf; nothing is taken or waited for under it
	n  int
	// idle is closed when n drops to zero; a new one is made when the
	// next line goes out. nil while nothing was ever in flight.
	idle chan struct{}
	// gaveUp is the idle channel a wait last timed out on: while it is
	// still the current one, the same lines are still stuck, and the
	// member was told already.
	gaveUp chan struct{}
}

// closedChan is an idle channel for a member with nothing in flight.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Add counts delta more lines in flight (delta > 0).
func (f *inflightLines) Add(delta int) {
	f.mu.Lock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n += delta
	f.mu.Unlock()
}

// Done counts one line as delivered (or refused).
func (f *inflightLines) Done() {
	f.mu.Lock()
	f.n--
	if f.n < 0 {
		f.mu.Unlock()
		panic("chat: more lines delivered than sent")
	}
	if f.n == 0 {
		close(f.idle)
	}
	f.mu.Unlock()
}

// drained returns a channel that is closed once every line in flight now
// has been delivered, and whether a wait already timed out on these lines.
func (f *inflightLines) drained() (idle <-chan struct{}, stuck bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		return closedChan, false
	}
	return f.idle, f.gaveUp == f.idle
}

// timedOut records that a wait on idle gave up.
func (f *inflightLines) timedOut(idle <-chan struct{}) {
	f.mu.Lock()
	if f.idle == idle {
		f.gaveUp = f.idle
	}
	f.mu.Unlock()
}

// How a wait for a member's lines in flight ended.
type deliveryWait uint8

const (
	linesDelivered  deliveryWait = iota
	waitStopped                  // stop closed first
	waitTimedOut                 // the lines were not delivered in time
	linesStillStuck              // a wait timed out on these lines before: not waited for again
)

// waitDelivered waits until the lines counted in inflight are delivered,
// stop closes, or timeout passes. It starts no goroutine. Lines that a
// wait already timed out on are not waited for again: a store that stopped
// answering costs a member's reader one timeout, not one per command.
func waitDelivered(inflight *inflightLines, stop <-chan struct{}, timeout time.Duration) deliveryWait {
	idle, stuck := inflight.drained()
	select {
	case <-idle:
		return linesDelivered
	default:
	}
	if stuck {
		return linesStillStuck
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-idle:
		return linesDelivered
	case <-stop:
		return waitStopped
	case <-timer.C:
		inflight.timedOut(idle)
		return waitTimedOut
	}
}
