package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// TestHistoryBudgetIsPerKey: searches and history reads of one key (one
// address for guests) share one budget; past it they are refused with the
// time to wait, others are not affected, and credits come back.
func TestHistoryBudgetIsPerKey(t *testing.T) {
	g := historyGate{burst: historyBurst}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for i := range historyBurst {
		if err := g.charge("key a", 1, now); err != nil {
			t.Fatalf("request %d within the burst: %v", i+1, err)
		}
	}
	err := g.charge("key a", 1, now)
	var paced pacedError
	if !errors.As(err, &paced) || paced.wait != historyRefill {
		t.Fatalf("request past the burst: %v, want a wait of %v", err, historyRefill)
	}
	if got, want := capitalized(err), "Too many searches and history requests: try again in 2s."; got != want {
		t.Errorf("refusal %q, want %q", got, want)
	}
	if err := g.charge("key b", historyCost(1000), now); err != nil {
		t.Fatalf("another key, 1000 lines: %v", err)
	}
	if err := g.charge("key b", historyCost(1), now); err == nil {
		t.Fatal("another key past its own budget was not refused")
	}
	now = now.Add(historyRefill)
	if err := g.charge("key a", 1, now); err != nil {
		t.Fatalf("after a refill: %v", err)
	}
	if err := g.charge("key a", 1, now); err == nil {
		t.Fatal("a second request after one refill was not refused")
	}

	same := [][2]string{
		{"127.0.0.1:1234", "127.0.0.1:999"},
		{"[::ffff:10.0.0.1]:22", "10.0.0.1:23"},
		{"[2001:db8::1]:22", "[2001:db8::ffff:2]:2222"},
	}
	for _, p := range same {
		if a, b := costKey(Identity{Addr: p[0]}), costKey(Identity{Addr: p[1]}); a != b {
			t.Errorf("guests from %s and %s are charged apart (%q, %q)", p[0], p[1], a, b)
		}
	}
	if costKey(Identity{Addr: "[2001:db8::1]:22"}) == costKey(Identity{Addr: "[2001:db8:0:1::1]:22"}) {
		t.Error("guests of two /64s share a budget")
	}
	if costKey(Identity{Fingerprint: "SHA256:x", Addr: "127.0.0.1:1"}) == costKey(Identity{Addr: "127.0.0.1:1"}) {
		t.Error("a key shares the budget of its address")
	}
}

// TestHistoryBudgetKeysAreBounded: the gate remembers at most
// maxHistoryKeys keys; with all of them owed credits a new key is refused,
// and keys whose budget is full again are forgotten to make room.
func TestHistoryBudgetKeysAreBounded(t *testing.T) {
	g := historyGate{burst: historyBurst}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for i := range maxHistoryKeys {
		if err := g.charge(fmt.Sprint("key ", i), historyBurst, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.charge("key new", 1, now); !errors.Is(err, errHistoryBusy) {
		t.Fatalf("a new key with every remembered key owed credits: %v", err)
	}
	if len(g.buckets) != maxHistoryKeys {
		t.Fatalf("%d keys remembered, want %d", len(g.buckets), maxHistoryKeys)
	}
	now = now.Add(historyBurst * historyRefill)
	if err := g.charge("key new", 1, now); err != nil {
		t.Fatalf("a new key once the others are refilled: %v", err)
	}
	if len(g.buckets) != 1 {
		t.Errorf("%d keys remembered after the sweep, want 1", len(g.buckets))
	}
}

// heldSearchStore holds every Search until release is closed.
type heldSearchStore struct {
	nopStore
	entered chan string
	release chan struct{}
}

func (s *heldSearchStore) Search(ctx context.Context, room, query string, limit int) ([]store.Message, error) {
	s.entered <- query
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	return nil, nil
}

// TestOneSearchPerKeyAtATime: while a key's search runs, another session
// of the same key is told to wait for it, free of charge; other keys are
// not.
func TestOneSearchPerKeyAtATime(t *testing.T) {
	st := &heldSearchStore{entered: make(chan string, 4), release: make(chan struct{})}
	h := quietHub(Config{Store: st})
	defer h.Close()
	first, _ := join(t, h, "alice")
	second, err := h.Join(Identity{User: "alice2", Fingerprint: first.key()}, &fakePeer{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := join(t, h, "bob")
	for _, m := range []*Member{first, second, other} {
		drainText(m)
	}

	var running sync.WaitGroup
	search := func(m *Member, q string) {
		running.Add(1)
		go func() {
			defer running.Done()
			h.Handle(m, "/search "+q)
		}()
	}
	defer running.Wait()
	defer close(st.release)
	search(first, "alpha")
	if q := <-st.entered; q != "alpha" {
		t.Fatalf("store searched %q", q)
	}
	h.Handle(second, "/search beta")
	waitText(t, second, "Your last search is still running; wait for its answer.")
	search(other, "gamma")
	if q := <-st.entered; q != "gamma" {
		t.Fatalf("store searched %q, want the other key's gamma", q)
	}
	h.history.mu.Lock()
	left := h.history.buckets[costKey(second.identity)].TokensAt(h.cfg.Now())
	h.history.mu.Unlock()
	if left < historyBurst-1.01 {
		t.Errorf("%.2f credits left after one search, want %d: the refused one was charged", left, historyBurst-1)
	}
}

// recentCounter returns only announcements, and counts the reads.
type recentCounter struct {
	nopStore
	calls atomic.Int64
}

func (s *recentCounter) Recent(_ context.Context, room string, before uint64, limit int) ([]store.Message, error) {
	s.calls.Add(1)
	if before == 0 {
		before = 1 << 40
	}
	var ms []store.Message
	for seq := before - uint64(limit); seq < before; seq++ {
		ms = append(ms, store.Message{Room: room, Seq: seq, Kind: "announce", Text: "someone joined"})
	}
	return ms, nil
}

// TestHistoryOfAnnouncementsIsBounded: /history in a room whose stored
// lines are all joins and leaves reads a bounded number of them, not the
// whole history.
func TestHistoryOfAnnouncementsIsBounded(t *testing.T) {
	st := &recentCounter{}
	h := quietHub(Config{Store: st, Scrollback: -1})
	defer h.Close()
	m, _ := join(t, h, "alice")
	drainText(m)
	before := st.calls.Load()
	h.Handle(m, "/history 500")
	if got := drainText(m); !strings.Contains(got, "No history in #lobby yet.") {
		t.Errorf("/history: %q", got)
	}
	if reads, most := st.calls.Load()-before, int64(historyScanFactor/2); reads > most {
		t.Errorf("/history 500 made %d reads of 1000 lines, want at most %d", reads, most)
	}
}
