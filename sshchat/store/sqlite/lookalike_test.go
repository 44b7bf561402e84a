package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Owned nicks are found by how they look, through the skeleton index,
// never for the key that owns them.
func TestLookalikeOwner(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "chat.db"), Options{})
	ctx := context.Background()
	for i := range 500 {
		if _, err := s.ClaimNick(ctx, fmt.Sprintf("user%d", i), fmt.Sprintf("SHA256:k%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ClaimNick(ctx, "alice", "SHA256:alice"); err != nil {
		t.Fatal(err)
	}
	for _, probe := range []string{"aIice", "a1ice", "ALICE", "alice"} {
		nick, key, err := s.LookalikeOwner(ctx, probe, "SHA256:mallory")
		if err != nil || nick != "alice" || key != "SHA256:alice" {
			t.Errorf("LookalikeOwner(%q) = %q, %q, %v; want alice", probe, nick, key, err)
		}
	}
	if nick, _, err := s.LookalikeOwner(ctx, "aIice", "SHA256:alice"); err != nil || nick != "" {
		t.Errorf("alice's own key is told %q looks like her nick (%v)", nick, err)
	}
	if nick, _, err := s.LookalikeOwner(ctx, "alicia", ""); err != nil || nick != "" {
		t.Errorf("alicia looks like %q (%v)", nick, err)
	}
	// The look-up is an index probe, not a scan of every owned nick.
	rows, err := s.rdb.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT nick, key FROM nicks WHERE `+skeletonFunc+`(nick) = ? AND key <> ? LIMIT 1`, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "nicks_skeleton") {
		t.Fatalf("query plan %q does not use the skeleton index", p)
	}
}
