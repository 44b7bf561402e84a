package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/sshchat/sshchat/sshchat/store"
)

// appendSeq appends m and returns the sequence number its callback got.
func appendSeq(t *testing.T, s store.History, m store.Message) uint64 {
	t.Helper()
	type result struct {
		seq uint64
		err error
	}
	got := make(chan result, 1)
	s.Append(m, func(seq uint64, err error) { got <- result{seq, err} })
	r := <-got
	if r.err != nil {
		t.Fatalf("append %s %q: %v", m.Room, m.Text, r.err)
	}
	return r.seq
}

// testStoreAssignsSeq: a room line appended without a sequence number gets
// the room's next one, per room, also after a prune and after the room was
// deleted (a number is never given twice), and the line is stored with it.
func testStoreAssignsSeq(t *testing.T, s store.Store) {
	for i, want := range []uint64{1, 2, 3} {
		if got := appendSeq(t, s, Msg("#a", 0, fmt.Sprint("a", i))); got != want {
			t.Errorf("#a line %d got seq %d, want %d", i, got, want)
		}
	}
	if got := appendSeq(t, s, Msg("#b", 0, "b0")); got != 1 {
		t.Errorf("#b's first line got seq %d, want 1", got)
	}
	AppendWait(t, s, Msg("#a", 10, "explicit"))
	if got := appendSeq(t, s, Msg("#a", 0, "after explicit")); got != 11 {
		t.Errorf("line after an explicit seq 10 got %d, want 11", got)
	}
	pm := store.Message{Time: base, Kind: store.KindPM, From: "alice", To: "bob", ToKey: "SHA256:b", Text: "psst"}
	if got := appendSeq(t, s, pm); got != 0 {
		t.Errorf("private message got seq %d, want 0", got)
	}
	got, err := s.Recent(ctx(t), "#a", 0, 10)
	must(t, err)
	var seqs []uint64
	for _, m := range got {
		seqs = append(seqs, m.Seq)
	}
	if fmt.Sprint(seqs) != "[1 2 3 10 11]" {
		t.Errorf("stored seqs of #a = %v, want [1 2 3 10 11]", seqs)
	}

	must(t, s.SaveRoom(ctx(t), store.RoomInfo{Name: "#a", Created: base}))
	if _, err := s.DeleteRoom(ctx(t), "#a"); err != nil {
		t.Fatal(err)
	}
	if got := appendSeq(t, s, Msg("#a", 0, "reborn")); got != 12 {
		t.Errorf("first line of a re-created #a got seq %d, want 12 (never reused)", got)
	}
	if _, err := s.PruneBefore(ctx(t), base.Add(1000*3600e9)); err != nil {
		t.Fatal(err)
	}
	if got := appendSeq(t, s, Msg("#a", 0, "after prune")); got != 13 {
		t.Errorf("line after a prune got seq %d, want 13", got)
	}
}

// testStoreSeqOrderPerRoom: lines of several rooms appended at once from
// several goroutines (one appender per room, as the chat does) get each
// room's numbers 1..n, and their callbacks come in that order per room.
func testStoreSeqOrderPerRoom(t *testing.T, s store.Store) {
	const rooms, per = 6, 100
	var wg sync.WaitGroup
	for r := range rooms {
		wg.Go(func() {
			room := fmt.Sprintf("#r%d", r)
			var mu sync.Mutex
			var last uint64
			var cb sync.WaitGroup
			for i := range per {
				cb.Add(1)
				s.Append(Msg(room, 0, fmt.Sprint(i)), func(seq uint64, err error) {
					defer cb.Done()
					if err != nil {
						t.Errorf("append %s %d: %v", room, i, err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					if seq != last+1 || seq != uint64(i+1) {
						t.Errorf("%s: line %d called back with seq %d after %d", room, i, seq, last)
					}
					last = seq
				})
			}
			cb.Wait()
		})
	}
	wg.Wait()
}

// testGuestNumbers: a store that numbers guests (an optional capability)
// never gives a number twice, also to callers at once.
func testGuestNumbers(t *testing.T, s store.Store) {
	g, ok := s.(store.GuestNumbers)
	if !ok {
		t.Skip("the store does not number guests (an optional capability)")
	}
	const callers, per = 4, 50
	var mu sync.Mutex
	seen := make(map[uint64]bool)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range per {
				n, err := g.NextGuest(ctx(t))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if n == 0 || seen[n] {
					t.Errorf("guest number %d given twice (or zero)", n)
				}
				seen[n] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
