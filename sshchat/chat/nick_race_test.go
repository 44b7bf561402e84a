package chat

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// A /nick X racing a session that connects under the user name X (and
// borrows it: its key owns another nick) ends one way or the other, never
// half: either the rename happened (the key owns X, the other session got
// another name) or it was refused and changed nothing (the old nick is
// still the renamer's, and owned by its key).
func TestNickRaceNeverLeavesOwnershipHalfMoved(t *testing.T) {
	h, st := sqliteHub(t, Config{NickClaimsPerHour: -1}) // every rename is a first claim from one address
	defer h.Close()
	ctx := context.Background()
	const rounds = 200
	renamed, refused := 0, 0
	for i := range rounds {
		old, x := fmt.Sprintf("old%03d", i), fmt.Sprintf("x%03d", i)
		aKey, bKey := fmt.Sprintf("SHA256:a%03d", i), fmt.Sprintf("SHA256:b%03d", i)
		a, err := h.Join(Identity{User: old, Fingerprint: aKey}, &fakePeer{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ClaimNick(ctx, fmt.Sprintf("own%03d", i), bKey); err != nil {
			t.Fatal(err)
		}
		drainText(a)
		var b *Member
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			h.Handle(a, "/nick "+x)
		}()
		go func() {
			defer wg.Done()
			var err error
			if b, err = h.Join(Identity{User: x, Fingerprint: bKey}, &fakePeer{}); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		if b == nil {
			t.FailNow()
		}
		text := drainText(a)
		xOwner, _ := st.NickOwner(ctx, x)
		aOwns, _ := st.OwnedNick(ctx, aKey)
		switch {
		case a.Nick() == x:
			renamed++
			if xOwner != aKey || b.Nick() == x || strings.Contains(text, "Not changed") {
				t.Fatalf("round %d: renamed, but %s is owned by %q, the borrower is %q, renamer saw %q", i, x, xOwner, b.Nick(), text)
			}
		default:
			refused++
			if a.Nick() != old || aOwns != old || xOwner == aKey || !strings.Contains(text, "Not changed: "+x+" is in use.") {
				t.Fatalf("round %d: refused rename changed something: renamer is %q owning %q, %s owned by %q, saw %q",
					i, a.Nick(), aOwns, x, xOwner, text)
			}
		}
		if got := h.lookup(x); got != nil && got != a && got != b {
			t.Fatalf("round %d: %s is used by a third member", i, x)
		}
		h.Leave(a, "round over")
		h.Leave(b, "round over")
	}
	t.Logf("%d renames won, %d refused as in use", renamed, refused)
}
