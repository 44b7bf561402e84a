package chat

import "fmt"

// A hub's side of the bus: lines and changes that any node (this one
// included) published, applied to this node's members.

// busNode is the Subscriber of a hub.
type busNode struct{ h *Hub }

// DeliverLine queues a stored line to this node's members in its room, if
// the room is in memory here (a room nobody here holds has no one to
// show it to; it reads the line from the store when it loads).
func (n busNode) DeliverLine(l Line) {
	h := n.h
	if l.origin == h && l.room != nil {
		// The publishing room itself: the common case, no lookup.
		l.room.deliver(l.event)
		return
	}
	h.mu.Lock()
	r := h.rooms[FoldRoom(l.Msg.Room)]
	h.mu.Unlock()
	if r == nil {
		return
	}
	ev := l.event
	if ev == nil || l.origin != h {
		// Another node's line: this node's own Event, so that nothing is
		// shared between hubs but the stored line.
		ev = replayOf(l.Msg)
		ev.Replay = false
	}
	r.deliver(ev)
}

// ApplyChange reads changed shared state again from the store. The
// publishing hub applied its change already.
func (n busNode) ApplyChange(c Change) {
	h := n.h
	if c.origin == h {
		return
	}
	switch c.Kind {
	case ChangeModeration:
		h.reloadModeration()
	case ChangeRoom:
		h.reloadRoom(c.Room)
	case ChangePrivate:
		h.privateArrived(c)
	case ChangePrefs:
		h.reloadPrefs(c.Room)
	}
}

// publishLine hands a line the store accepted to the bus.
func (r *Room) publishLine(ev *Event) {
	r.bus.PublishLine(Line{Msg: ev.message(), event: ev, origin: r.hub, room: r})
}

// publishChange tells every node that shared state changed.
func (h *Hub) publishChange(kind ChangeKind, room string) {
	h.cfg.Bus.PublishChange(Change{Kind: kind, Room: room, origin: h})
}

// reloadModeration reads bans, mutes and operators again after another
// node changed them, and disconnects the members here that a new ban
// refuses: a ban made on one node is enforced on every node.
func (h *Hub) reloadModeration() {
	ctx, cancel := h.ctx()
	err := h.loadModeration(ctx)
	cancel()
	if err != nil {
		h.log.Error("reload moderation", "err", err)
		return
	}
	// Everyone first (under Hub.mu), then the check, which takes the
	// moderation lock: a leaf taken under no other lock.
	for _, m := range h.everyoneWhere(func(*Member) bool { return true }) {
		if ok, reason := h.admitted(m.identity); !ok {
			h.notice(m, fmt.Sprintf("You were banned: %s", reason))
			h.ejectFor(m, Banned, "banned on another node")
		}
	}
}

// reloadRoom reads a room's metadata and the number of rooms again after
// another node created, changed or removed one. A room removed there is
// removed here too: its people here go to the default room.
func (h *Hub) reloadRoom(name string) {
	ctx, cancel := h.ctx()
	info, ok, err := h.store.Room(ctx, name)
	rooms, cerr := h.store.CountRooms(ctx)
	cancel()
	if cerr == nil {
		h.roomCount.Store(int64(rooms))
	}
	if err != nil {
		h.log.Error("reload room", "room", name, "err", err)
		return
	}
	if !ok {
		h.removedElsewhere(name)
		return
	}
	h.mu.Lock()
	r := h.rooms[FoldRoom(name)]
	h.mu.Unlock()
	if r != nil {
		r.setTopic(info.Topic)
	}
}

// removedElsewhere takes a room another node removed out of memory here
// and moves its people to the default room.
func (h *Hub) removedElsewhere(name string) {
	if FoldRoom(name) == FoldRoom(h.lobby.Name()) {
		return
	}
	inside, loaded := h.unloadForRemoval(name)
	// Also whoever was entering the room (or starting a tail of it) and
	// is not among its members yet, as in cmdRmroom.
	inside = uniqueMembers(append(inside, h.everyoneWhere(func(x *Member) bool {
		return loaded != nil && x.Room() == loaded
	})...))
	for _, x := range inside {
		if x.hidden {
			h.endWatch(x, name)
			continue
		}
		h.notice(x, fmt.Sprintf("%s was removed by an operator; you are back in %s.", name, h.lobby.Name()))
		h.moveInto(x, h.lobby)
	}
}
