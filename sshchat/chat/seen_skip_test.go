package chat

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/memstore"
)

// seenCounter counts last-seen writes.
type seenCounter struct {
	store.Store
	seen atomic.Int32
}

func (s *seenCounter) SeenKey(ctx context.Context, key string, t time.Time) error {
	s.seen.Add(1)
	return s.Store.SeenKey(ctx, key, t)
}

// TestNewKeyFloodMakesNoLastSeenWrites: keys that own no nick (their
// address used up its first claims, so they only borrow a name) join
// without a last-seen write, which would change nothing (last seen is kept
// on an owned nick) but cost a write on the store's one write connection
// per join of a flood of new keys. A key that owns or just claimed its
// nick still records it.
func TestNewKeyFloodMakesNoLastSeenWrites(t *testing.T) {
	ms := memstore.New()
	defer ms.Close()
	st := &seenCounter{Store: ms}
	h := quietHub(Config{Store: st, NickClaimsPerHour: 1})
	defer h.Close()
	alice, _ := join(t, h, "alice") // the address's one first claim
	if n := st.seen.Load(); n != 1 {
		t.Fatalf("alice claimed her nick: %d last-seen writes, want 1", n)
	}
	for i := range 20 {
		join(t, h, fmt.Sprintf("new%d", i))
	}
	if n := st.seen.Load(); n != 1 {
		t.Errorf("20 new keys that own no nick made %d last-seen writes, want none", n-1)
	}
	h.Leave(alice, "bye")
	join(t, h, "alice") // owns alice: her last seen moves
	if n := st.seen.Load(); n != 2 {
		t.Errorf("alice's second join: %d last-seen writes in all, want 2", n)
	}
}
