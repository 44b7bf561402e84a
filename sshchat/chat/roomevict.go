package chat

import (
	"sort"
	"time"
)

// evictIdleRooms frees rooms nobody holds, longest idle first, until the
// rooms in memory are down to three quarters of MaxLoadedRooms (so that
// one scan pays for many loads). An evicted room is loaded again from the
// store when someone asks for it.
func (h *Hub) evictIdleRooms() {
	type candidate struct {
		room *Room
		idle time.Time
	}
	h.mu.Lock()
	target := h.cfg.MaxLoadedRooms * 3 / 4
	excess := len(h.rooms) - target
	var idle []candidate
	for _, r := range h.rooms {
		if r.holds == 0 && r != h.lobby {
			idle = append(idle, candidate{r, r.idleSince})
		}
	}
	h.mu.Unlock()
	sort.Slice(idle, func(i, j int) bool { return idle[i].idle.Before(idle[j].idle) })
	for _, c := range idle {
		if excess <= 0 {
			break
		}
		if h.unloadRoom(c.room, false) {
			excess--
		}
	}
}

// unloadRoom takes r out of the hub's map when nobody holds it (or, with
// force, whoever holds it: a removed room) and no line of it is on its way
// to the store, so the next load reads an up-to-date sequence number. Lines
// published on r afterwards are rerouted to its next object. It reports
// whether r left the map.
func (h *Hub) unloadRoom(r *Room, force bool) bool {
	if !force && !r.announcer.idle() {
		return false // a gathered join/leave line is still to come
	}
	r.seqMu.Lock()
	if r.pending.Load() > 0 && !force {
		r.seqMu.Unlock()
		return false
	}
	h.mu.Lock()
	fold := FoldRoom(r.Name())
	ok := h.rooms[fold] == r && (force || r.holds == 0)
	if ok {
		delete(h.rooms, fold)
		h.roomGeneration++
	}
	h.mu.Unlock()
	if ok {
		r.gone = true
		r.reroute = h.rerouteTo(r.Name())
	}
	r.seqMu.Unlock()
	if ok {
		r.announcer.stop()
	}
	return ok
}
