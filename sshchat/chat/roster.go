package chat

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// Who is online on the other nodes, for /who, ssh HOST who and the
// "N online" of the welcome. A store shared by several nodes may keep a
// roster per node (rosterStore): each hub writes its own people there
// once a second when they changed (and every rosterRefresh anyway, so a
// node that died drops out), and reads the others' from the store's
// memory, never from the network on a command's path: a guest typing
// /who a thousand times costs no store work.

const (
	rosterInterval = time.Second
	rosterRefresh  = 5 * time.Second
	// MaxRosterEntries bounds one node's roster (its size on the wire
	// and in every other node's memory); past it /who elsewhere is
	// incomplete, which is logged.
	MaxRosterEntries = 2000
	// maxRosterAway bounds the away text a roster carries.
	maxRosterAway = 64
)

// rosterStore is the optional capability of a store shared by several
// nodes to keep each node's list of people online.
type rosterStore interface {
	// PutRoster replaces node's list.
	PutRoster(ctx context.Context, node string, people []WhoEntry) error
	// Rosters returns every node's latest list still fresh, from memory.
	Rosters() map[string][]WhoEntry
}

// startRoster starts writing this node's roster if the store keeps them.
func (h *Hub) startRoster() {
	rs, ok := h.store.(rosterStore)
	if !ok {
		return
	}
	h.goBackground("roster", func() { h.rosterLoop(rs) })
}

// rosterLoop writes this node's people when they change, until the hub
// stops; then it empties this node's roster so others drop it at once.
func (h *Hub) rosterLoop(rs rosterStore) {
	tick := time.NewTicker(rosterInterval)
	defer tick.Stop()
	var last []WhoEntry
	var written time.Time
	for {
		select {
		case <-h.stop:
			ctx, cancel := h.ctx()
			if err := rs.PutRoster(ctx, h.node, nil); err != nil {
				h.log.Warn("clear this node's roster", "err", err)
			}
			cancel()
			return
		case now := <-tick.C:
			people := h.localWho()
			if limit := h.rosterLimit(); len(people) > limit {
				h.log.Warn("roster too long: other nodes see only part of this one", "online", len(people), "shown", limit)
				people = people[:limit]
			}
			if slices.Equal(people, last) && now.Sub(written) < rosterRefresh {
				continue
			}
			ctx, cancel := h.ctx()
			err := rs.PutRoster(ctx, h.node, people)
			cancel()
			if err != nil {
				h.log.Warn("write this node's roster", "err", err)
				continue
			}
			last, written = people, now
		}
	}
}

// rosterLimit is MaxRosterEntries, or a test's smaller limit.
func (h *Hub) rosterLimit() int {
	if rl, ok := h.store.(interface{ RosterLimit() int }); ok {
		return min(rl.RosterLimit(), MaxRosterEntries)
	}
	return MaxRosterEntries
}

// elsewhere lists the people online on the other nodes, as their nodes
// last wrote it; nil on one node.
func (h *Hub) elsewhere() []WhoEntry {
	rs, ok := h.store.(rosterStore)
	if !ok {
		return nil
	}
	var out []WhoEntry
	for node, people := range rs.Rosters() {
		if node != h.node {
			out = append(out, people...)
		}
	}
	return out
}

// localWho lists this node's people online with their room, sorted by
// nick, away texts shortened for the roster.
func (h *Hub) localWho() []WhoEntry {
	var out []WhoEntry
	for _, m := range h.Members() {
		room := m.Room()
		if room == nil || m.hidden {
			continue
		}
		out = append(out, WhoEntry{Nick: m.Nick(), Room: room.Name(), Away: sanitize.Truncate(m.awayText(), maxRosterAway), Key: m.key(), Since: m.joined})
	}
	return out
}

// sortWho sorts entries by nick, case-insensitively.
func sortWho(entries []WhoEntry) {
	slices.SortFunc(entries, func(a, b WhoEntry) int {
		return cmp.Compare(sanitize.FoldNick(a.Nick), sanitize.FoldNick(b.Nick))
	})
}
