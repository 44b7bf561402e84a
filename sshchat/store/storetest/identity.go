package storetest

import (
	"testing"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Conformance of Identities: nick ownership by key.

func testNicks(t *testing.T, s store.Store) {
	claim := func(nick, key, want string) {
		t.Helper()
		got, err := s.ClaimNick(ctx(t), nick, key)
		must(t, err)
		if got != want {
			t.Errorf("ClaimNick(%q, %q) = %q, want %q", nick, key, got, want)
		}
	}
	owner := func(nick, want string) {
		t.Helper()
		got, err := s.NickOwner(ctx(t), nick)
		must(t, err)
		if got != want {
			t.Errorf("NickOwner(%q) = %q, want %q", nick, got, want)
		}
	}
	owned := func(key, want string) {
		t.Helper()
		got, err := s.OwnedNick(ctx(t), key)
		must(t, err)
		if got != want {
			t.Errorf("OwnedNick(%q) = %q, want %q", key, got, want)
		}
	}
	const a, b = "SHA256:a", "SHA256:b"
	owner("Alice", "")
	owned(a, "")
	claim("Alice", a, a)
	owner("alice", a)
	owner("ALICE", a)
	owned(a, "Alice")
	claim("aLiCe", b, a) // taken: nothing changes
	owned(b, "")
	owned(a, "Alice")
	claim("ALICE", a, a) // own nick in another case: case updated
	owned(a, "ALICE")
	claim("Alicia", a, a) // a key owns one nick: Alice is released
	owner("alice", "")
	owned(a, "Alicia")
	claim("alice", b, b)
	owner("Alice", b)
	claim("Élan", a, a) // non-ASCII is not folded
	owner("élan", "")
	owner("Élan", a)
}
