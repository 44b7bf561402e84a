package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Conformance of History: appends and their callbacks, recent lines,
// private messages in the log, sequence numbers kept, pruning, Close.

func testAppendRecent(t *testing.T, s store.Store) {
	full := store.Message{
		Room: "#lobby", Seq: 1, Time: base.Add(1234 * time.Millisecond), Kind: store.KindEmote,
		From: "Alice", FromKey: "SHA256:alice", To: "", ToKey: "", Text: "waves ünïcode ✓",
	}
	AppendWait(t, s, full)
	for i := uint64(2); i <= 10; i++ {
		AppendWait(t, s, Msg("#lobby", i, fmt.Sprint("m", i)), Msg("#dev", i, fmt.Sprint("d", i)))
	}
	got, err := s.Recent(ctx(t), "#lobby", 0, 1000)
	must(t, err)
	if len(got) != 10 {
		t.Fatalf("Recent returned %d messages, want 10", len(got))
	}
	if g := got[0]; g != full {
		if !g.Time.Equal(full.Time) || g.Time.Location() != time.UTC {
			t.Errorf("time = %v, want %v in UTC", g.Time, full.Time)
		}
		g.Time = full.Time
		if g != full {
			t.Errorf("round trip = %+v, want %+v", g, full)
		}
	}
	got, err = s.Recent(ctx(t), "#lobby", 0, 3)
	must(t, err)
	wantTexts(t, "Recent(#lobby, 0, 3)", got, "m8", "m9", "m10")
	got, err = s.Recent(ctx(t), "#lobby", 5, 2)
	must(t, err)
	wantTexts(t, "Recent(#lobby, 5, 2)", got, "m3", "m4")
	got, err = s.Recent(ctx(t), "#dev", 3, 100)
	must(t, err)
	wantTexts(t, "Recent(#dev, 3, 100)", got, "d2")
	got, err = s.Recent(ctx(t), "#none", 0, 10)
	must(t, err)
	wantTexts(t, "Recent(#none)", got)
	got, err = s.Recent(ctx(t), "#lobby", 0, 0)
	must(t, err)
	wantTexts(t, "Recent(limit 0)", got)
}

// testAppendFIFO: callbacks come in Append order within each room (the
// contract is "in order per room"; across rooms a backend may interleave).
func testAppendFIFO(t *testing.T, s store.Store) {
	const n = 600
	rooms := []string{"#a", "#b", "#c"}
	var mu sync.Mutex
	order := make(map[string][]int)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		room := rooms[i%3]
		m := Msg(room, uint64(i/3+1), fmt.Sprint(i))
		s.Append(m, func(_ uint64, err error) {
			if err != nil {
				t.Errorf("append %d: %v", i, err)
			}
			mu.Lock()
			order[room] = append(order[room], i)
			mu.Unlock()
			wg.Done()
		})
	}
	wg.Wait()
	for r, room := range rooms {
		for k, got := range order[room] {
			if want := r + 3*k; got != want {
				t.Fatalf("%s: callback %d was for append %d, want %d: callbacks out of order", room, k, got, want)
			}
		}
	}
}

func testAppendConcurrent(t *testing.T, s store.Store) {
	const writers, per = 8, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			room := fmt.Sprintf("#r%d", w)
			last := uint64(0)
			var cb sync.WaitGroup
			var mu sync.Mutex
			for i := uint64(1); i <= per; i++ {
				cb.Add(1)
				s.Append(Msg(room, i, "x"), func(_ uint64, err error) {
					defer cb.Done()
					if err != nil {
						t.Errorf("append %s %d: %v", room, i, err)
					}
					mu.Lock()
					if i != last+1 {
						t.Errorf("%s: callback for %d after %d", room, i, last)
					}
					last = i
					mu.Unlock()
				})
			}
			cb.Wait()
		})
	}
	wg.Wait()
	seqs, err := s.LastSeqs(ctx(t))
	must(t, err)
	for w := range writers {
		if got := seqs[fmt.Sprintf("#r%d", w)]; got != per {
			t.Errorf("LastSeqs[#r%d] = %d, want %d", w, got, per)
		}
	}
}

func testAppendRejects(t *testing.T, s store.Store) {
	noTime := Msg("#lobby", 4, "no time")
	noTime.Time = time.Time{}
	errs := AppendAll(s,
		Msg("#lobby", 1, "one"),
		Msg("#lobby", 1, "duplicate"),
		noTime,
		Msg("#lobby", 2, "two"),
	)
	for i, wantErr := range []bool{false, true, true, false} {
		if (errs[i] != nil) != wantErr {
			t.Errorf("append %d: err = %v, want error %v", i, errs[i], wantErr)
		}
	}
	got, err := s.Recent(ctx(t), "#lobby", 0, 10)
	must(t, err)
	wantTexts(t, "Recent", got, "one", "two")
}

func testAppendPrivate(t *testing.T, s store.Store) {
	pm := store.Message{Time: base, Kind: store.KindPM, From: "alice", FromKey: "SHA256:a",
		To: "bob", ToKey: "SHA256:b", Text: "secret plans"}
	noTime := pm
	noTime.Time = time.Time{}
	errs := AppendAll(s, Msg("#lobby", 1, "public plans"), pm, pm, noTime, Msg("#lobby", 2, "more"))
	for i, wantErr := range []bool{false, false, false, true, false} {
		if (errs[i] != nil) != wantErr {
			t.Errorf("append %d: err = %v, want error %v", i, errs[i], wantErr)
		}
	}
	for _, room := range []string{"", "#lobby"} {
		got, err := s.Recent(ctx(t), room, 0, 10)
		must(t, err)
		for _, m := range got {
			if m.Kind == store.KindPM {
				t.Errorf("Recent(%q) returned the private message %+v", room, m)
			}
		}
		if searcher, ok := s.(store.Searcher); ok {
			got, err = searcher.Search(ctx(t), room, "plans", 10)
			must(t, err)
			for _, m := range got {
				if m.Kind == store.KindPM {
					t.Errorf("Search(%q) returned the private message %+v", room, m)
				}
			}
		}
	}
	seqs, err := s.LastSeqs(ctx(t))
	must(t, err)
	if want := map[string]uint64{"#lobby": 2}; !mapsEqual(seqs, want) {
		t.Errorf("LastSeqs = %v, want %v", seqs, want)
	}
	n, err := s.PruneBefore(ctx(t), base.Add(time.Hour))
	must(t, err)
	if n != 4 {
		t.Errorf("PruneBefore deleted %d, want 4 (2 room lines, 2 private)", n)
	}
}

func testLastSeqs(t *testing.T, s store.Store) {
	seqs, err := s.LastSeqs(ctx(t))
	must(t, err)
	if len(seqs) != 0 {
		t.Errorf("LastSeqs of an empty store = %v", seqs)
	}
	AppendWait(t, s, Msg("#a", 1, ""), Msg("#a", 7, ""), Msg("#b", 3, ""), Msg("#a", 5, ""))
	seqs, err = s.LastSeqs(ctx(t))
	must(t, err)
	if want := map[string]uint64{"#a": 7, "#b": 3}; !mapsEqual(seqs, want) {
		t.Errorf("LastSeqs = %v, want %v", seqs, want)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func testPrune(t *testing.T, s store.Store) {
	for i := uint64(1); i <= 10; i++ {
		AppendWait(t, s, Msg("#a", i, fmt.Sprint(i)), Msg("#b", i, fmt.Sprint(i)))
	}
	n, err := s.PruneBefore(ctx(t), base.Add(4*time.Second)) // seq 1..3 of both rooms
	must(t, err)
	if n != 6 {
		t.Errorf("PruneBefore deleted %d, want 6", n)
	}
	got, err := s.Recent(ctx(t), "#a", 0, 100)
	must(t, err)
	wantTexts(t, "Recent after prune", got, "4", "5", "6", "7", "8", "9", "10")
	if searcher, ok := s.(store.Searcher); ok {
		got, err = searcher.Search(ctx(t), "#a", "2", 100)
		must(t, err)
		wantTexts(t, "Search after prune", got)
	}
	n, err = s.PruneBefore(ctx(t), base.Add(time.Hour))
	must(t, err)
	if n != 14 {
		t.Errorf("second PruneBefore deleted %d, want 14", n)
	}
	seqs, err := s.LastSeqs(ctx(t))
	must(t, err)
	if want := map[string]uint64{"#a": 10, "#b": 10}; !mapsEqual(seqs, want) {
		t.Errorf("LastSeqs after pruning everything = %v, want %v (sequence numbers must not be reused)", seqs, want)
	}
}

func testClose(t *testing.T, s store.Store) {
	// Close commits what is queued and calls every callback before it returns.
	const n = 500
	var called [n]bool
	var errs [n]error
	for i := range n {
		s.Append(Msg("#lobby", uint64(i+1), "x"), func(_ uint64, err error) { called[i], errs[i] = true, err })
	}
	must(t, s.Close())
	for i := range n {
		if !called[i] || errs[i] != nil {
			t.Fatalf("append %d after Close: called %v, err %v", i, called[i], errs[i])
		}
	}
	var got error
	s.Append(Msg("#lobby", n+1, "late"), func(_ uint64, err error) { got = err })
	if !errors.Is(got, store.ErrClosed) {
		t.Errorf("Append after Close: callback error %v, want ErrClosed", got)
	}
	if _, err := s.Recent(ctx(t), "#lobby", 0, 1); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Recent after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
