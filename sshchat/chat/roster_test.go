package chat

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/sshchat/sshchat/sshchat/store/memstore"
)

// rosterRecorder is a shared store that keeps the rosters in memory and
// caps them at limit (standing in for MaxRosterEntries).
type rosterRecorder struct {
	*memstore.Store
	limit int

	mu   sync.Mutex
	last map[string][]WhoEntry
}

func (r *rosterRecorder) RosterLimit() int { return r.limit }

func (r *rosterRecorder) PutRoster(_ context.Context, node string, people []WhoEntry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last[node] = append([]WhoEntry(nil), people...)
	return nil
}

func (r *rosterRecorder) Rosters() map[string][]WhoEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]WhoEntry, len(r.last))
	for n, p := range r.last {
		out[n] = p
	}
	return out
}

// A node with more people online than a roster holds writes only the
// first of them: what one node puts in every other node's memory (and on
// the wire each second) is bounded, however many connect.
func TestRosterOfOneNodeIsCapped(t *testing.T) {
	st := &rosterRecorder{Store: memstore.New(), limit: 3, last: map[string][]WhoEntry{}}
	defer st.Close()
	bus := NewLocalBus()
	a := quietHub(Config{Store: st, Bus: bus})
	defer a.Close()
	b := quietHub(Config{Store: st, Bus: bus})
	defer b.Close()

	for i := range 5 {
		join(t, a, fmt.Sprintf("user%d", i))
	}
	watcher, _ := join(t, b, "watcher")
	// Joined in milliseconds, written once a second: the writes that
	// count the people one by one are unlikely, and end at the cap.
	waitFor(t, "node A's roster written", func() bool { return len(st.Rosters()[a.node]) >= 3 })
	if got := len(st.Rosters()[a.node]); got != 3 {
		t.Fatalf("node A's roster has %d people, want the cap of 3", got)
	}
	if got := len(b.Who()); got != 1+3 || a.Online() != 5 {
		t.Fatalf("who on node B lists %d people, want its own 1 and node A's capped 3 (A has %d online)", got, a.Online())
	}
	drainText(watcher)
}
