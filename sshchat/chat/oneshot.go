package chat

import (
	"errors"
	"fmt"
	"sync"

	"github.com/sshchat/sshchat/sshchat/sanitize"
	"github.com/sshchat/sshchat/sshchat/store"
)

// This file is the hub's side of one-shot commands (ssh host who, say,
// tail, history): they read or post without joining the chat as a visible
// member.

// WhoEntry is one person online.
type WhoEntry struct {
	Nick, Room, Away string
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
	return out
}

// roomFor returns the room called name ("" for the default room), creating
// it for creatorKey if it does not exist yet and create is true.
func (h *Hub) roomFor(name, creatorKey string, create bool) (*Room, error) {
	if name == "" {
		return h.lobby, nil
	}
	if err := ValidRoom(name); err != nil {
		return nil, err
	}
	h.mu.Lock()
	r := h.rooms[FoldRoom(name)]
	created := false
	if r == nil && create {
		r = newRoom(store.RoomInfo{Name: name, CreatorKey: creatorKey, Created: h.cfg.Now()}, 0, h)
		h.rooms[FoldRoom(name)] = r
		created = true
	}
	h.mu.Unlock()
	if r == nil {
		return nil, fmt.Errorf("there is no room %s", name)
	}
	if created {
		h.saveRoom(r)
	}
	return r, nil
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
		return "", fmt.Errorf("the line is %d bytes long and the limit is %d", len(text), h.cfg.MaxLine)
	}
	if len(text) == 0 {
		return "", errors.New("nothing to say")
	}
	probe := &Member{identity: id}
	if muted, _ := h.muted(probe); muted {
		return "", errors.New("you are muted")
	}
	if admitted, why := h.admitted(id); !admitted {
		return "", errors.New(why) // banned since the connection was admitted
	}
	if err := h.paceOneShot(id); err != nil {
		return "", err
	}
	// The key's own nick, or the one it claims now; never a borrowed name:
	// without a session there is no check that nobody else is using it.
	ctx, cancel := h.ctx()
	owned, err := h.store.OwnedNick(ctx, id.Fingerprint)
	cancel()
	if err != nil {
		return "", fmt.Errorf("nicks cannot be checked right now: %w", err)
	}
	nick = owned
	if nick == "" {
		wanted := sanitize.Nick(id.User)
		candidates, why := h.nickCandidates(wanted, id.Fingerprint)
		candidates = append(candidates, h.numberedNicks(wanted, id.Fingerprint)...)
		if len(candidates) == 0 {
			if why == "" {
				why = "your user name has no usable characters"
			}
			return "", errors.New(why + "; connect once and choose a /nick")
		}
		nick = candidates[0]
	}
	room, err := h.roomFor(roomName, id.Fingerprint, true)
	if err != nil {
		return "", err
	}
	var delivered sync.WaitGroup
	room.publish(&Event{Kind: KindMessage, From: nick, FromKey: id.Fingerprint, Text: text}, &delivered)
	if !waitDelivered(&delivered, nil, maxLeaveWait) {
		return nick, errors.New("the line was sent but not confirmed in time")
	}
	h.log.Info("post", "nick", nick, "room", room.Name(), "addr", id.Addr)
	return nick, nil
}

// Watch subscribes peer to a room's live lines without joining it visibly
// (no announcement, not listed): the member's outbox receives what the
// room says from now on. Subscribe first, then read history with Recent,
// then skip live lines the history already covered (by sequence number).
func (h *Hub) Watch(id Identity, roomName string, peer Peer) (*Member, error) {
	room, err := h.roomFor(roomName, "", false)
	if err != nil {
		return nil, err
	}
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
	m.room.Store(room)
	h.mu.Lock()
	closing := h.closing
	if !closing {
		h.watchers[m] = struct{}{}
	}
	h.mu.Unlock()
	if closing {
		return nil, ErrShuttingDown
	}
	room.join(m, false)
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
	r, err := h.roomFor(roomName, "", false)
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := h.ctx()
	defer cancel()
	msgs, err := h.recentSaid(ctx, r.Name(), n)
	if err != nil {
		return "", nil, err
	}
	return r.Name(), replaysOf(msgs), nil
}
