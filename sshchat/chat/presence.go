package chat

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Who is online under which nick, across nodes. On one node the hub's own
// registry (Hub.nicks) is the whole truth. A store shared by several nodes
// may offer store.Presence: then a member takes a nick only after claiming
// it there, so that two nodes never put two people online under one nick,
// and gives it back when leaving or renaming. Without it (SQLite, one
// node) these functions do nothing.

// newNodeID names this hub among the nodes sharing a store.
func newNodeID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// holder names m in the store's presence table: this node, this member.
func (h *Hub) holder(m *Member) string { return fmt.Sprintf("%s/%p", h.node, m) }

// claimOnline claims each candidate for m in the store's presence table
// and returns those it got, in order: a nick someone on another node is
// online under is left out. Every candidate when the store has no
// presence table.
func (h *Hub) claimOnline(m *Member, candidates []string) []string {
	p, ok := h.store.(store.Presence)
	if !ok || len(candidates) == 0 {
		return candidates
	}
	ctx, cancel := h.ctx()
	defer cancel()
	var got []string
	for _, c := range candidates {
		holder, err := p.ClaimOnline(ctx, c, h.holder(m))
		if err != nil {
			h.log.Warn("claim online nick", "nick", c, "err", err)
			continue
		}
		if holder == h.holder(m) {
			got = append(got, c)
		}
	}
	return got
}

// releaseOnline gives back nicks m claimed, except keep (its nick). It
// waits for the store in a goroutine of its own: leaving never waits on
// the store.
func (h *Hub) releaseOnline(m *Member, nicks []string, keep string) {
	p, ok := h.store.(store.Presence)
	if !ok {
		return
	}
	var release []string
	for _, n := range nicks {
		if n != "" && store.Fold(n) != store.Fold(keep) {
			release = append(release, n)
		}
	}
	if len(release) == 0 {
		return
	}
	holder := h.holder(m)
	h.goBackground("release online nicks", func() {
		ctx, cancel := h.ctx()
		defer cancel()
		for _, n := range release {
			if err := p.ReleaseOnline(ctx, n, holder); err != nil {
				h.log.Warn("release online nick", "nick", n, "err", err)
			}
		}
	})
}
