package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// replayBudget is how many bytes of history may be queued to m at once:
// half of the outbox's free space, so that asking for history can never get
// a member cut off and live lines still find room behind it.
func replayBudget(m *Member) int { return m.out.free() / 2 }

// pushReplay queues events to m as history, under a heading, keeping the
// newest that fit in budget bytes; it returns how many older ones it left
// out (the heading then says so, in the words of unit).
func pushReplay(m *Member, heading string, events []*Event, budget int, unit [2]string) (left int) {
	left = len(events)
	for used := 0; left > 0 && used+events[left-1].size() <= budget; left-- {
		used += events[left-1].size()
	}
	if left > 0 {
		heading += fmt.Sprintf(" (%d older %s left out: too long to show at once)", left, plural(left, unit[0], unit[1]))
	}
	ok := m.out.Push(&Event{Kind: KindNotice, Text: heading})
	for _, ev := range events[left:] {
		ok = m.out.Push(replayFor(m, ev)) && ok
	}
	if !ok {
		m.cutOff("outbox overflow")
	}
	return left
}

var (
	lineUnit    = [2]string{"line", "lines"}
	messageUnit = [2]string{"message", "messages"}
)

const maxHistoryLines = 500

func (h *Hub) cmdHistory(m *Member, args string) {
	n, ok := h.countArg(m, "history", args, 20, maxHistoryLines)
	if !ok {
		return
	}
	room := m.Room()
	if room == nil {
		return
	}
	if err := h.history.charge(costKey(m.identity), historyCost(n), h.cfg.Now()); err != nil {
		h.notice(m, capitalized(err))
		return
	}
	ctx, cancel := h.ctx()
	defer cancel()
	msgs, err := h.recentSaid(ctx, room.Name(), n)
	if err != nil {
		h.log.Error("read history", "room", room.Name(), "err", err)
		h.notice(m, "History is not available right now.")
		return
	}
	if len(msgs) == 0 {
		h.notice(m, "No history in "+room.Name()+" yet.")
		return
	}
	events := replaysOf(msgs)
	pushReplay(m, fmt.Sprintf("Last %d %s of %s:", len(events), plural(len(events), "line", "lines"), room.Name()), events, replayBudget(m), lineUnit)
}

func (h *Hub) cmdSearch(m *Member, args string) {
	if args == "" {
		h.usage(m, "search")
		return
	}
	searcher, ok := h.store.(store.Searcher)
	if !ok {
		// Full-text search is a capability of some stores, not of all.
		h.notice(m, "Search is not available on this server.")
		return
	}
	room := m.Room()
	if room == nil {
		return
	}
	// A query the store would refuse or answer with nothing is answered
	// here, free of charge.
	terms, err := store.ParseSearch(args)
	if err != nil {
		msg, _ := searchRefusal(err)
		h.notice(m, msg)
		return
	}
	if len(terms) == 0 {
		h.notice(m, fmt.Sprintf("Nothing in %s matches %q.", room.Name(), args))
		return
	}
	done, err := h.history.startSearch(costKey(m.identity), h.cfg.Now())
	if err != nil {
		h.notice(m, capitalized(err))
		return
	}
	defer done()
	ctx, cancel := h.ctx()
	defer cancel()
	msgs, err := searcher.Search(ctx, room.Name(), args, 50)
	if err != nil {
		if refusal, refused := searchRefusal(err); refused {
			h.log.Info("search refused", "room", room.Name(), "fingerprint", KeyOrGuest(m.key()), "addr", m.identity.Addr, "err", err)
			h.notice(m, refusal)
			return
		}
		h.log.Error("search history", "room", room.Name(), "err", err)
		h.notice(m, "Search is not available right now.")
		return
	}
	msgs = saidOnly(msgs)
	if len(msgs) == 0 {
		h.notice(m, fmt.Sprintf("Nothing in %s matches %q.", room.Name(), args))
		return
	}
	events := replaysOf(msgs)
	pushReplay(m, fmt.Sprintf("%d %s in %s %s %q:", len(events), plural(len(events), "line", "lines"),
		room.Name(), plural(len(events), "matches", "match"), args), events, replayBudget(m), lineUnit)
}

// pruneHistory deletes room lines older than the retention period, at
// start and then every hour.
func (h *Hub) pruneHistory() {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-tick.C:
		}
		h.pruneOnce()
	}
}

func (h *Hub) pruneOnce() {
	ctx, cancel := h.ctx()
	defer cancel()
	n, err := h.store.PruneBefore(ctx, h.cfg.Now().Add(-h.cfg.Retention))
	if err != nil {
		h.log.Error("prune history", "err", err)
	} else if n > 0 {
		h.log.Info("pruned history", "lines", n, "retention", h.cfg.Retention.String())
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// recentSaid returns up to n lines people said in room, oldest first.
// Announcements share the room's order in the store; they are skipped, and
// older lines are read until n said lines are found, history ends, or
// historyScanFactor*n lines were read (a room of nothing but joins and
// leaves must not cost a read of its whole history).
func (h *Hub) recentSaid(ctx context.Context, room string, n int) ([]store.Message, error) {
	var msgs []store.Message
	before := uint64(0)
	for scanned := 0; len(msgs) < n && scanned < historyScanFactor*n; scanned += 2 * n {
		batch, err := h.store.Recent(ctx, room, before, 2*n)
		if err != nil {
			return nil, fmt.Errorf("read history of %s: %w", room, err)
		}
		if len(batch) == 0 {
			break
		}
		before = batch[0].Seq
		msgs = append(saidOnly(batch), msgs...)
		if before <= 1 {
			break
		}
	}
	if len(msgs) > n {
		msgs = msgs[len(msgs)-n:]
	}
	return msgs, nil
}
