package chat

import (
	"errors"
	"fmt"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// This file is the hub's side of commands for scripts (ssh host who, say,
// tail, history): they read or post without joining the chat as a visible
// member.

// WhoEntry is one person online.
type WhoEntry struct {
	Nick, Room, Away string
	// Key and Since (when they connected) are filled in a node's roster,
	// for /whois on the other nodes; "" and zero elsewhere.
	Key   string
	Since time.Time
}

// Who lists the people online with their room, sorted by nick.
func (h *Hub) Who() []WhoEntry {
	var out []WhoEntry
	for _, m := range h.Members() {
		room := m.Room()
		if room == nil || m.hidden {
			continue
		}
		out = append(out, WhoEntry{Nick: m.Nick(), Room: room.Name(), Away: m.awayText()})
	}
	if others := h.elsewhere(); len(others) > 0 {
		// People on the other nodes too (roster.go).
		out = append(out, others...)
		sortWho(out)
	}
	return out
}

// Post says text in a room as the person id, without joining: the line is
// stored and delivered before Post returns. The nick is the one the key
// owns, or the user name if no other key owns it. Guests cannot post.
func (h *Hub) Post(id Identity, roomName, text string) (nick string, err error) {
	if id.Fingerprint == "" {
		return "", errors.New("posting without a session needs an SSH key")
	}
	text = sanitize.Text(text)
	if len(text) > h.cfg.MaxLine {
		h.cfg.Metrics.tooLong()
		return "", fmt.Errorf("the line is %d bytes long and the limit is %d", len(text), h.cfg.MaxLine)
	}
	if len(text) == 0 {
		return "", errors.New("nothing to say")
	}
	probe := &Member{identity: id}
	if muted, _ := h.muted(probe); muted {
		h.cfg.Metrics.muted()
		return "", errors.New("you are muted")
	}
	if admitted, why := h.admitted(id); !admitted {
		return "", errors.New(why) // banned since the connection was admitted
	}
	if err := h.paceOneShot(id); err != nil {
		return "", err
	}
	nick, err = h.postNick(id)
	if err != nil {
		return "", err
	}
	room, err := h.roomFor(roomName, nil)
	if isNoRoom(err) {
		return "", fmt.Errorf("%w; /join it first", err)
	}
	if err != nil {
		return "", err
	}
	defer h.releaseRoom(room)
	h.cfg.Metrics.accepted()
	stored := make(chan error, 1)
	room.publishThen(&Event{Kind: KindMessage, From: nick, FromKey: id.Fingerprint, Text: text}, waitHandedOver,
		func(err error) { stored <- err })
	timer := time.NewTimer(maxLeaveWait)
	defer timer.Stop()
	select {
	case err := <-stored:
		if errors.Is(err, errRoomGone) {
			return "", fmt.Errorf("no room %s; /join it first", roomName)
		}
		if err != nil {
			return "", errNotStored
		}
	case <-timer.C:
		return nick, errors.New("the line was sent but not confirmed in time")
	}
	h.recordJoinSeen(probe)
	h.log.Info("post", "nick", nick, "room", room.Name(), "addr", id.Addr)
	return nick, nil
}

// Watch subscribes peer to a room's live lines without joining it visibly
// (no announcement, not listed): the member's outbox receives what the
// room says from now on. Subscribe first, then read history with Recent,
// then skip live lines the history already covered (by sequence number).
func (h *Hub) Watch(id Identity, roomName string, peer Peer) (*Member, error) {
	room, err := h.roomFor(roomName, nil)
	if err != nil {
		return nil, err
	}
	defer h.releaseRoom(room)
	m := &Member{
		identity: id,
		joined:   h.cfg.Now(),
		out:      NewOutbox(h.cfg.OutboxBytes),
		peer:     peer,
		done:     make(chan struct{}),
		hidden:   true,
	}
	m.prefs.Store(defaultPrefs())
	m.setNick("")
	// room.seqMu (tier 2) around the attach, as for a move: a room that
	// an operator removed meanwhile (it left memory) is never watched, and
	// a watch attached before it left is seen by the removal, which ends it.
	room.seqMu.Lock()
	gone := room.gone
	h.mu.Lock()
	closing := h.closing
	if !closing && !gone {
		h.watchers[m] = struct{}{}
		h.setRoomLocked(m, room)
	}
	h.mu.Unlock()
	room.seqMu.Unlock()
	switch {
	case closing:
		return nil, ErrShuttingDown
	case gone:
		return nil, fmt.Errorf("%w: it was just removed", errNoRoom{room.Name()})
	}
	room.join(m, false) // not added if the removal ended the watch already
	// A ban made between admission and now did not see this listener:
	// look again, now that a ban would.
	if admitted, why := h.admitted(id); !admitted {
		h.leave(m, "banned", false)
		return nil, errors.New(why)
	}
	return m, nil
}

// Recent returns up to n lines people said in a room, oldest first.
func (h *Hub) Recent(roomName string, n int) (room string, events []*Event, err error) {
	r, err := h.roomFor(roomName, nil)
	if err != nil {
		return "", nil, err
	}
	defer h.releaseRoom(r)
	ctx, cancel := h.ctx()
	defer cancel()
	msgs, err := h.recentSaid(ctx, r.Name(), n)
	if err != nil {
		return "", nil, err
	}
	return r.Name(), replaysOf(msgs), nil
}
