package chat

import (
	"fmt"
	"strings"
	"time"
)

// addResourceCommands adds the operator commands that free what users
// created: rooms (/rmroom) and nick claims (/release).
func addResourceCommands() {
	commands["rmroom"] = &command{usage: "/rmroom #ROOM", help: "remove a room and its history (people in it go to the default room)", run: (*Hub).cmdRmroom, op: true}
	commands["release"] = &command{usage: "/release NICK", help: "take a nick away from the key that owns it", run: (*Hub).cmdRelease, op: true}
	moderationOrder = append(moderationOrder, "rmroom", "release")
}

// cmdRmroom removes a room: the people in it are moved to the default room
// (one-shot listeners are ended), its metadata and its history lines are
// deleted from the store, and its sequence number is remembered so that a
// room of the same name created later never reuses one.
func (h *Hub) cmdRmroom(m *Member, args string) {
	name, extra := splitWord(args)
	if name == "" || extra != "" {
		h.usage(m, "rmroom")
		return
	}
	if !strings.HasPrefix(name, "#") {
		name = "#" + name
	}
	if err := ValidRoom(name); err != nil {
		h.notice(m, "Not removed: "+err.Error()+".")
		return
	}
	if FoldRoom(name) == FoldRoom(h.lobby.Name()) {
		h.notice(m, fmt.Sprintf("Not removed: %s is the default room.", h.lobby.Name()))
		return
	}
	// Out of memory first, so that nothing more is said in it, then out
	// of the store; a room someone loaded again meanwhile goes too.
	inside, first := h.unloadForRemoval(name)
	loaded := first != nil
	ctx, cancel := h.ctx()
	had, err := h.store.DeleteRoom(ctx, name)
	cancel()
	if err != nil {
		h.log.Error("remove room", "room", name, "err", err)
		h.notice(m, "Not removed: the store could not be changed.")
		return
	}
	more, again := h.unloadForRemoval(name)
	inside = append(inside, more...)
	loadedAgain := again != nil
	// Someone who was entering a removed object (it was chosen before it
	// left memory) is not among its members yet: moving them now makes
	// their entry find they have moved on (moveInto refuses a room that
	// left memory from then on).
	inside = append(inside, h.everyoneWhere(func(x *Member) bool {
		r := x.Room()
		return r != nil && (r == first || r == again)
	})...)
	inside = uniqueMembers(inside)
	if !had && !loaded && !loadedAgain {
		h.notice(m, fmt.Sprintf("There is no room %s.", name))
		return
	}
	if had {
		h.roomCount.Add(-1)
	}
	h.publishChange(ChangeRoom, name)
	moved := 0
	for _, x := range inside {
		if x.hidden {
			h.endWatch(x, name)
			continue
		}
		h.notice(x, fmt.Sprintf("%s was removed by %s; you are back in %s.", name, m.Nick(), h.lobby.Name()))
		h.moveInto(x, h.lobby)
		moved++
	}
	h.audit(m, "rmroom", name, fmt.Sprintf("%d moved to %s; history deleted", moved, h.lobby.Name()))
	h.notice(m, fmt.Sprintf("%s is removed: %d %s moved to %s, and its history is deleted.",
		name, moved, plural(moved, "person", "people"), h.lobby.Name()))
}

// unloadForRemoval takes the room called name out of memory whoever holds
// it, waits for its lines on their way to the store, and returns who was
// in it and the room object that was loaded (nil if none).
func (h *Hub) unloadForRemoval(name string) (inside []*Member, loaded *Room) {
	h.mu.Lock()
	r := h.rooms[FoldRoom(name)]
	// Also when the room is not in memory: a load of it under way may
	// have read the store before the room was deleted, and must read it
	// again rather than put a removed room in memory (roomload.go), where
	// a tail would watch it forever.
	h.roomGeneration++
	h.roomRemovals++
	h.mu.Unlock()
	if r == nil || !h.unloadRoom(r, true) {
		return nil, nil
	}
	waitStored(r, maxLeaveWait)
	r.mu.Lock()
	inside = append(inside, r.members...)
	r.mu.Unlock()
	return inside, r
}

// endWatch ends a one-shot listener (tail) of the removed room called
// name: it leaves, and its command ends with the reason (exit status 1).
func (h *Hub) endWatch(x *Member, name string) {
	x.removal.CompareAndSwap(int32(NotRemoved), int32(RoomRemoved))
	h.leave(x, name+" was removed by an operator", false)
}

// uniqueMembers drops repeats from ms, keeping the first of each.
func uniqueMembers(ms []*Member) []*Member {
	seen := make(map[*Member]bool, len(ms))
	out := ms[:0]
	for _, m := range ms {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// waitStored waits (at most timeout) until no line of r is on its way to
// the store, so that deleting its history deletes them too.
func waitStored(r *Room, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for r.pending.Load() > 0 && time.Now().Before(deadline) {
		<-tick.C
	}
}
