package chat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// This file keeps rooms in memory only while they are used. The store
// knows every room; the hub's map holds the default room and the rooms
// someone is in (or was in lately), each loaded on demand from its
// metadata and last sequence number, so that start-up costs the same with
// ten rooms or ten thousand. A room's scrollback is read from the store
// when the first member joins and dropped when the last one leaves.

// errNoRoom says a room does not exist; callers add what to do about it.
type errNoRoom struct{ name string }

func (e errNoRoom) Error() string { return "no room " + e.name }

// roomCreator is who would create a room that does not exist yet: their
// key, or for a guest their address, is what the creation cap counts.
type roomCreator struct {
	key, addr string
}

// roomFor returns the room called name ("" for the default room), loading
// it from the store if it is not in memory, and creating it for by if it
// does not exist and by is not nil (within the creation caps). The caller
// holds the room until it calls releaseRoom: a held room stays in memory.
func (h *Hub) roomFor(name string, by *roomCreator) (*Room, error) {
	if name == "" {
		name = h.lobby.Name()
	}
	if err := ValidRoom(name); err != nil {
		return nil, err
	}
	fold := FoldRoom(name)
	for {
		h.mu.Lock()
		if r := h.rooms[fold]; r != nil {
			h.holdLocked(r)
			h.mu.Unlock()
			return r, nil
		}
		if wait, busy := h.roomLoads[fold]; busy {
			// One load (or creation) of a name at a time: wait for it,
			// then look again.
			h.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-time.After(2 * storeTimeout):
				return nil, errors.New("the room cannot be loaded right now")
			}
		}
		done := make(chan struct{})
		h.roomLoads[fold] = done
		h.mu.Unlock()

		r, err := h.loadRoom(name, by)

		h.mu.Lock()
		delete(h.roomLoads, fold)
		h.mu.Unlock()
		close(done)
		return r, err
	}
}

// maxReloadsAfterRemoval bounds the reads of a load that keeps meeting
// removals (operators only): far above what one /rmroom needs.
const maxReloadsAfterRemoval = 50

// loadRoom reads the room called name from the store (creating it for by,
// if by is not nil and it does not exist) and puts it in the hub's map,
// held once for the caller. Only one loadRoom of a name runs at a time.
func (h *Hub) loadRoom(name string, by *roomCreator) (*Room, error) {
	fold := FoldRoom(name)
	for attempt := 0; ; attempt++ {
		h.mu.Lock()
		generation, removals := h.roomGeneration, h.roomRemovals
		h.mu.Unlock()

		info, created, err := h.findOrCreateRoom(name, by)
		if err != nil {
			return nil, err
		}
		ctx, cancel := h.ctx()
		seq, err := h.store.RoomSeq(ctx, info.Name)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("the room cannot be loaded right now: %w", err)
		}

		h.mu.Lock()
		removed := h.roomRemovals != removals
		if !created && (removed && attempt < maxReloadsAfterRemoval || h.roomGeneration != generation && attempt < 3) {
			// A room left memory while we read the store: if it was
			// this one, its last lines may have been committed after
			// our read, or it was removed. Read again.
			h.mu.Unlock()
			continue
		}
		r := newRoom(info, seq, h)
		h.holdLocked(r)
		h.rooms[fold] = r
		over := len(h.rooms) > h.cfg.MaxLoadedRooms
		h.mu.Unlock()
		if created {
			h.log.Info("room created", "room", info.Name, "by", KeyOrGuest(info.CreatorKey))
		}
		if over {
			h.evictIdleRooms()
		}
		return r, nil
	}
}

// findOrCreateRoom returns the stored metadata of the room called name, or
// saves new metadata for it when by may create it. A room exists when its
// metadata does (it is saved before the room's first line); the default
// room always exists.
func (h *Hub) findOrCreateRoom(name string, by *roomCreator) (info store.RoomInfo, created bool, err error) {
	ctx, cancel := h.ctx()
	defer cancel()
	info, ok, err := h.store.Room(ctx, name)
	switch {
	case err != nil:
		return info, false, fmt.Errorf("the room cannot be loaded right now: %w", err)
	case ok:
		return info, false, nil
	case FoldRoom(name) == FoldRoom(h.cfg.DefaultRoom):
		// The default room always exists, saved or not.
		return store.RoomInfo{Name: h.cfg.DefaultRoom}, false, nil
	case by == nil:
		return info, false, errNoRoom{name}
	}
	if err := h.mayCreateRoom(*by); err != nil {
		return info, false, err
	}
	info = store.RoomInfo{Name: name, CreatorKey: by.key, Created: h.cfg.Now()}
	if err := h.store.SaveRoom(ctx, info); err != nil {
		h.refundRoomCreation(*by)
		return info, false, fmt.Errorf("the room cannot be created right now: %w", err)
	}
	h.publishChange(ChangeRoom, name) // the other nodes count it against MaxRooms
	return info, true, nil
}

// holdLocked counts one more holder of r; the caller holds h.mu.
func (h *Hub) holdLocked(r *Room) { r.holds++ }

// releaseRoom ends a hold taken by roomFor.
func (h *Hub) releaseRoom(r *Room) {
	h.mu.Lock()
	h.unholdLocked(r)
	h.mu.Unlock()
}

func (h *Hub) unholdLocked(r *Room) {
	r.holds--
	if r.holds == 0 {
		r.idleSince = h.cfg.Now()
	}
}

// setRoomLocked moves m's hold from the room they were in to r (nil when
// they leave); the caller holds h.mu.
func (h *Hub) setRoomLocked(m *Member, r *Room) {
	if r != nil {
		h.holdLocked(r)
	}
	if old := m.room.Swap(r); old != nil {
		h.unholdLocked(old)
	}
}

// rerouteTo returns the function a room that left memory uses to publish
// a line late (an announcement racing with eviction): the line goes to the
// room's current object, loaded again if need be, or nowhere if the room
// was removed.
func (h *Hub) rerouteTo(name string) func(*Event, publishWait, func(error)) {
	return func(ev *Event, wait publishWait, done func(error)) {
		r, err := h.roomFor(name, nil)
		if err != nil {
			h.log.Debug("line for a room no longer there dropped", "room", name, "err", err)
			if done != nil {
				done(err)
			}
			return
		}
		defer h.releaseRoom(r)
		r.publishThen(ev, wait, done)
	}
}

// seedWait bounds how long a joining member waits for another member's
// read of the same room's scrollback before reading it themselves.
const seedWait = 10 * time.Second

// seedRoom reads r's scrollback from the store unless r already holds it:
// call it before a member joins r. One reader at a time: members who join
// at the same moment wait for the first one's read. Lines delivered while
// the read runs are kept and merged with it by sequence number.
func (h *Hub) seedRoom(r *Room) {
	if r.keep <= 0 {
		return
	}
	for {
		r.mu.Lock()
		if r.seeded {
			r.mu.Unlock()
			return
		}
		if wait := r.seeding; wait != nil {
			r.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-time.After(seedWait):
				return // join without scrollback rather than hang
			}
		}
		done := make(chan struct{})
		r.seeding = done
		r.mu.Unlock()

		ctx, cancel := h.ctx()
		msgs, err := h.recentSaid(ctx, r.Name(), r.keep)
		cancel()
		if err != nil {
			h.log.Error("load scrollback", "room", r.Name(), "err", err)
		}

		r.mu.Lock()
		if err == nil {
			r.mergeScrollbackLocked(replaysOf(msgs))
		}
		// Kept even though nobody is in yet: the caller joins next (and
		// a join that finds its member gone drops it again).
		r.seeding = nil
		r.mu.Unlock()
		close(done)
		return
	}
}

// mergeScrollbackLocked puts stored lines before the lines delivered while
// they were read (any line in both is kept once) and marks r seeded.
func (r *Room) mergeScrollbackLocked(stored []*Event) {
	if len(r.recent) > 0 {
		first := r.recent[0].Seq
		for len(stored) > 0 && stored[len(stored)-1].Seq >= first {
			stored = stored[:len(stored)-1]
		}
	}
	merged := append(stored, r.recent...)
	if len(merged) > r.keep {
		merged = merged[len(merged)-r.keep:]
	}
	r.recent = merged
	r.seeded = true
}

// keepsScrollbackLocked reports whether delivered lines go into recent:
// only while the room has its scrollback, or is reading it.
func (r *Room) keepsScrollbackLocked() bool { return r.seeded || r.seeding != nil }

// dropScrollbackIfEmptyLocked frees the scrollback of a room nobody is in:
// the next member to join reads it again from the store.
func (r *Room) dropScrollbackIfEmptyLocked() {
	if len(r.members) == 0 && r.seeding == nil {
		r.recent, r.seeded = nil, false
	}
}

// loadDefaultRoom puts the default room in memory at start (its metadata,
// saved if it had none, and its last sequence number; not its history).
func (h *Hub) loadDefaultRoom() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := h.store.CountRooms(ctx)
	if err != nil {
		return fmt.Errorf("count rooms: %w", err)
	}
	h.roomCount.Store(int64(n))
	name := h.cfg.DefaultRoom
	info, ok, err := h.store.Room(ctx, name)
	if err != nil {
		return fmt.Errorf("load the default room: %w", err)
	}
	if !ok {
		info = store.RoomInfo{Name: name, Created: h.cfg.Now()}
		if err := h.store.SaveRoom(ctx, info); err != nil {
			return fmt.Errorf("save the default room: %w", err)
		}
		h.roomCount.Add(1)
	}
	seq, err := h.store.RoomSeq(ctx, info.Name)
	if err != nil {
		return fmt.Errorf("load the default room: %w", err)
	}
	h.lobby = newRoom(info, seq, h)
	h.rooms[FoldRoom(name)] = h.lobby
	return nil
}

// isNoRoom reports whether err says a room does not exist.
func isNoRoom(err error) bool {
	var e errNoRoom
	return errors.As(err, &e)
}
