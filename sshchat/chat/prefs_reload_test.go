package chat

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store/memstore"
)

// heldPrefs is a store whose preference reads wait until released,
// whatever their context says: a store (or NATS) that does not answer.
type heldPrefs struct {
	*memstore.Store
	hold    *atomic.Bool  // reads wait while set
	held    chan struct{} // closed to release the reads
	reading chan struct{} // one value per read begun
}

func (s heldPrefs) Prefs(ctx context.Context, key string) (map[string]string, error) {
	if !s.hold.Load() {
		return s.Store.Prefs(ctx, key)
	}
	select {
	case s.reading <- struct{}{}:
	default:
	}
	<-s.held
	return s.Store.Prefs(ctx, key)
}

// A preference change on another node arrives on the bus's delivery
// goroutine, which delivers every room's lines: any keyed person can send
// one (/theme), so it must never wait there on the store. The reload
// happens on a worker; changes of one key merge while it waits, and the
// keys waiting are bounded.
func TestPreferenceChangesDoNotStallLineDelivery(t *testing.T) {
	mem := memstore.New()
	defer mem.Close()
	st := heldPrefs{Store: mem, hold: new(atomic.Bool), held: make(chan struct{}), reading: make(chan struct{}, 1)}
	released := false
	release := func() {
		if !released {
			released = true
			close(st.held)
		}
	}
	defer release()
	h := quietHub(Config{Store: st})
	defer h.Close()
	join(t, h, "bob")
	st.hold.Store(true) // bob's join read it; reloads from now on wait

	applied := make(chan struct{})
	go func() {
		defer close(applied)
		for i := range 3 * maxPrefsReloads {
			busNode{h}.ApplyChange(Change{Kind: ChangePrefs, Room: fmt.Sprintf("SHA256:k%d", i%(2*maxPrefsReloads))})
			busNode{h}.ApplyChange(Change{Kind: ChangePrefs, Room: "SHA256:bob"})
		}
	}()
	select {
	case <-applied:
	case <-time.After(30 * time.Second):
		t.Fatal("applying preference changes waits on the store")
	}
	select {
	case <-st.reading:
	case <-time.After(30 * time.Second):
		t.Fatal("no reload reached the store")
	}
	h.prefsReloads.mu.Lock()
	waiting := len(h.prefsReloads.pending)
	h.prefsReloads.mu.Unlock()
	if waiting > maxPrefsReloads {
		t.Fatalf("%d keys wait for a reload, over the bound of %d", waiting, maxPrefsReloads)
	}
	release()
	waitFor(t, "the reload queue drained", func() bool {
		h.prefsReloads.mu.Lock()
		defer h.prefsReloads.mu.Unlock()
		return len(h.prefsReloads.pending) == 0 && !h.prefsReloads.running
	})
}
