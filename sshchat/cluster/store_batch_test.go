package cluster_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/cluster"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/store"
)

// appended is what one Append was called back with.
type appended struct {
	seq uint64
	err error
}

// Two nodes flood the same rooms at once. Their batched writers remember
// each room counter and lose compare-and-sets to each other all the time;
// still every number of a room is taken exactly once (1..N, no gap, no
// repeat), each node's lines of a room keep their Append order, and both
// read models end up with every line under its number.
func TestBatchedNumbersAcrossNodesAreTakenOnce(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	stores := []*cluster.Store{openClusterStore(t, nats.URL(), "a"), openClusterStore(t, nats.URL(), "b")}
	const rooms, perSender = 3, 300
	results := make([][][]appended, len(stores))
	var wg sync.WaitGroup
	for si, st := range stores {
		results[si] = make([][]appended, rooms)
		for r := range rooms {
			results[si][r] = make([]appended, perSender)
			room := fmt.Sprintf("#race%d", r)
			for i := range perSender {
				wg.Add(1)
				st.Append(store.Message{Room: room, Time: time.Now(), Kind: store.KindMsg, From: "x",
					Text: fmt.Sprintf("%d/%d", si, i)}, func(seq uint64, err error) {
					results[si][r][i] = appended{seq, err}
					wg.Done()
				})
			}
		}
	}
	wg.Wait()

	for r := range rooms {
		room := fmt.Sprintf("#race%d", r)
		want := map[uint64]string{} // number → text
		for si := range stores {
			var last uint64
			for i, res := range results[si][r] {
				if res.err != nil {
					t.Fatalf("%s: node %d line %d refused: %v", room, si, i, res.err)
				}
				if res.seq <= last {
					t.Fatalf("%s: node %d line %d got %d after %d: Append order lost", room, si, i, res.seq, last)
				}
				last = res.seq
				if other, taken := want[res.seq]; taken {
					t.Fatalf("%s: number %d given to %q and %q", room, res.seq, other, fmt.Sprintf("%d/%d", si, i))
				}
				want[res.seq] = fmt.Sprintf("%d/%d", si, i)
			}
		}
		total := uint64(len(stores) * perSender)
		for seq := uint64(1); seq <= total; seq++ {
			if _, ok := want[seq]; !ok {
				t.Fatalf("%s: number %d was not given (numbers must stay 1..%d)", room, seq, total)
			}
		}
		for si, st := range stores {
			lines := waitHistory(t, st, room, int(total))
			for _, m := range lines {
				if want[m.Seq] != m.Text {
					t.Fatalf("%s: node %d's read model has %q as %d, want %q", room, si, m.Text, m.Seq, want[m.Seq])
				}
			}
		}
	}
}

// NATS goes away while a node is writing batches and comes back. Every
// line is called back exactly once; a line called back as stored is in
// history under its number; the stored lines of the room keep their
// Append order; and a number taken by a refused line is never given to
// another (the first line after the outage gets a number above every line
// stored before).
func TestBatchCutByNATSOutageNeverReusesNumbers(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	st := openClusterStore(t, nats.URL(), "a")
	const room, maxLines, inFlight = "#cut", 20000, 256

	var (
		mu      sync.Mutex
		results = make([]*appended, 0, maxLines)
		ok, bad atomic.Int64
		wg      sync.WaitGroup
		slots   = make(chan struct{}, inFlight)
		stop    = make(chan struct{})
		sent    = make(chan int, 1)
	)
	go func() {
		n := 0
		defer func() { sent <- n }()
		for ; n < maxLines; n++ {
			select {
			case <-stop:
				return
			case slots <- struct{}{}:
			}
			res := &appended{}
			mu.Lock()
			results = append(results, res)
			mu.Unlock()
			wg.Add(1)
			st.Append(store.Message{Room: room, Time: time.Now(), Kind: store.KindMsg, From: "x",
				Text: fmt.Sprintf("cut %d", n)}, func(seq uint64, err error) {
				mu.Lock()
				res.seq, res.err = seq, err
				mu.Unlock()
				if err == nil {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
				<-slots
				wg.Done()
			})
		}
	}()
	waitCount(t, "lines stored before the outage", &ok, 100)
	nats.Shutdown()
	waitCount(t, "a line refused during the outage", &bad, 1)
	close(stop)
	n := <-sent
	// Lines acknowledged just before the outage wait for the read model,
	// which reads them once NATS is back.
	nats.Start()
	waitGroup(t, "every line called back", &wg)
	t.Logf("%d lines: %d stored, %d refused", n, ok.Load(), bad.Load())

	mu.Lock()
	defer mu.Unlock()
	lines := waitHistory(t, st, room, int(ok.Load()))
	bySeq := map[uint64]string{}
	var lastSeq uint64
	lastIndex := -1
	for _, m := range lines {
		var i int
		if _, err := fmt.Sscanf(m.Text, "cut %d", &i); err != nil {
			t.Fatalf("unexpected line %q", m.Text)
		}
		if i <= lastIndex || m.Seq <= lastSeq {
			t.Fatalf("history has %q as %d after line %d as %d: Append order lost", m.Text, m.Seq, lastIndex, lastSeq)
		}
		lastIndex, lastSeq = i, m.Seq
		bySeq[m.Seq] = m.Text
	}
	for i, res := range results {
		if res.err != nil {
			continue
		}
		if got := bySeq[res.seq]; got != fmt.Sprintf("cut %d", i) {
			t.Fatalf("line %d was called back as stored under %d, history has %q there", i, res.seq, got)
		}
	}

	// The first line accepted after all this (refused until the node has
	// reconnected) gets a number above every one taken.
	var res appended
	for deadline := time.Now().Add(waitTimeout); ; {
		done := make(chan appended, 1)
		st.Append(store.Message{Room: room, Time: time.Now(), Kind: store.KindMsg, From: "x", Text: "after"},
			func(seq uint64, err error) { done <- appended{seq, err} })
		if res = <-done; res.err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line accepted %v after NATS came back: %v", waitTimeout, res.err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res.seq <= lastSeq {
		t.Fatalf("line after the outage got number %d, not above the last stored %d", res.seq, lastSeq)
	}
}

// waitCount waits until c reaches at least n.
func waitCount(t *testing.T, what string, c *atomic.Int64, n int64) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for c.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d after %v, want %d", what, c.Load(), waitTimeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitGroup waits for wg, at most waitTimeout.
func waitGroup(t *testing.T, what string, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatalf("%s: not after %v", what, waitTimeout)
	}
}

// waitHistory waits until st's read model has at least n lines of room
// and returns them, oldest first.
func waitHistory(t *testing.T, st *cluster.Store, room string, n int) []store.Message {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		lines, err := st.Recent(testContext(t), room, 0, n+1000)
		if err != nil {
			t.Fatalf("recent %s: %v", room, err)
		}
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: read model has %d lines after %v, want %d", room, len(lines), waitTimeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
