package chat

import (
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// Leaving: disconnects, ejections, leaving once one's lines were
// delivered, and the leave itself.

// Disconnect removes m from the hub and cuts their connection at once. The
// server uses it for members whose writes are stuck.
func (h *Hub) Disconnect(m *Member, reason string) { h.disconnect(m, reason) }

func (h *Hub) disconnect(m *Member, reason string) {
	m.kickReason.CompareAndSwap(nil, &reason)
	// The connection first: leaving announces, which can wait on the
	// store, and whoever cuts a stuck client off must not wait.
	m.peer.Disconnect(reason)
	h.leave(m, reason, true)
	// Logged here, whoever ends up running leave (the member's reader
	// often gets there first once the connection is closed).
	h.log.Warn("disconnect", "nick", m.Nick(), "addr", m.identity.Addr, "reason", reason)
}

// ejectGrace is how long a kicked or banned member's session has to show
// them why before their connection is closed regardless.
const ejectGrace = 2 * time.Second

// eject removes m and ends their session the polite way first: leaving
// closes Done, so their writer flushes what is queued (the notice saying
// why) and ends the session. A client that does not read, or keeps the
// connection open, is cut off after ejectGrace.
func (h *Hub) eject(m *Member, reason string) {
	m.kickReason.CompareAndSwap(nil, &reason)
	if h.leave(m, reason, true) {
		h.log.Warn("disconnect", "nick", m.Nick(), "addr", m.identity.Addr, "reason", reason)
	}
	time.AfterFunc(ejectGrace, func() {
		defer recoverAndLog("eject")
		m.peer.Disconnect(reason)
	})
}

// Leave removes m from the hub; their Done channel closes so that their
// session can end. It is safe to call more than once.
func (h *Hub) Leave(m *Member, reason string) { h.leave(m, reason, true) }

// maxLeaveWait bounds how long leaving waits for the member's own lines.
const maxLeaveWait = 5 * time.Second

// LeaveAfterDelivery is Leave once m's own lines sent so far have been
// delivered (at most a few seconds): a script that posts a line and closes
// its input sees its line, and so does someone who types /quit right after
// saying goodbye. Call it from m's reader, which sends nothing meanwhile.
func (h *Hub) LeaveAfterDelivery(m *Member, reason string) {
	waitDelivered(&m.inflight, m.done, maxLeaveWait)
	h.leave(m, reason, true)
}

func (h *Hub) leave(m *Member, reason string, announce bool) (left bool) {
	if kicked := m.kickReason.Load(); kicked != nil {
		reason = *kicked
	}
	m.leaveOnce.Do(func() {
		left = true
		if m.kickReason.Load() != nil {
			h.cfg.Metrics.cut(reason)
		}
		h.mu.Lock()
		nick := m.Nick()
		if h.nicks[sanitize.FoldNick(nick)] == m {
			delete(h.nicks, sanitize.FoldNick(nick))
		}
		if h.looks[sanitize.Skeleton(nick)] == m {
			delete(h.looks, sanitize.Skeleton(nick))
		}
		delete(h.watchers, m)
		room := m.Room()
		h.setRoomLocked(m, nil)
		announce = announce && !h.closing && !m.hidden
		h.mu.Unlock()
		h.releaseOnline(m, []string{nick}, "")

		if room != nil {
			room.remove(m)
			if announce {
				room.announcer.left(nick)
			}
		}
		m.out.Close()
		h.reportMarks(m)
		m.leaveReason.Store(&reason)
		close(m.done)
		if !m.hidden {
			h.log.Info("leave", "nick", nick, "addr", m.identity.Addr, "reason", reason)
		}
	})
	return left
}
