package chat

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

const maxTopicLen = 300

func (h *Hub) cmdJoin(m *Member, args string) {
	name, extra := splitWord(args)
	if name == "" || extra != "" {
		h.usage(m, "join")
		return
	}
	if !strings.HasPrefix(name, "#") {
		name = "#" + name
	}
	if err := ValidRoom(name); err != nil {
		h.notice(m, "Not joined: "+err.Error()+".")
		return
	}
	h.moveTo(m, name)
}

func (h *Hub) cmdPart(m *Member, args string) {
	if args != "" {
		h.usage(m, "part")
		return
	}
	h.moveTo(m, h.lobby.Name())
}

// moveTo takes m from their room into the room called name, creating it
// (within the creation caps).
func (h *Hub) moveTo(m *Member, name string) {
	to, err := h.roomFor(name, &roomCreator{key: m.key(), addr: m.identity.Addr})
	if err != nil {
		h.notice(m, "Not joined: "+err.Error()+".")
		return
	}
	defer h.releaseRoom(to)
	h.moveInto(m, to)
}

// moveInto takes m from their room into to, which the caller holds.
func (h *Hub) moveInto(m *Member, to *Room) {
	// to.seqMu (tier 2) around the move: a room that left memory (removed,
	// see cmdRmroom) is never entered, and a move made before it left is
	// seen by the removal, which moves the member on.
	to.seqMu.Lock()
	gone := to.gone
	h.mu.Lock()
	from := m.Room()
	if from == nil || gone {
		h.mu.Unlock()
		to.seqMu.Unlock()
		if gone {
			h.notice(m, fmt.Sprintf("Not joined: %s was just removed.", to.Name()))
		}
		return
	}
	if from == to {
		h.mu.Unlock()
		to.seqMu.Unlock()
		h.notice(m, "You are already in "+to.Name()+".")
		return
	}
	h.setRoomLocked(m, to)
	nick := m.Nick()
	h.mu.Unlock()
	to.seqMu.Unlock()

	from.remove(m)
	from.announcer.left(nick)
	h.reportMarks(m)
	h.seedRoom(to)
	h.enterRoom(m, to, true, false)
	if m.Room() != to {
		return // moved on (or left) while entering: the room was removed
	}
	h.notice(m, fmt.Sprintf("You are now in %s. (%d here)", to.Name(), to.Len()+h.hereElsewhere(to.Name())))
	if topic := to.Topic(); topic != "" {
		h.notice(m, "Topic: "+topic)
	}
	to.announcer.joined(nick)
}

// saveRoom stores r's metadata with topic as its topic.
func (h *Hub) saveRoom(r *Room, topic string) error {
	ctx, cancel := h.ctx()
	defer cancel()
	info := r.info()
	info.Topic = topic
	info.Created = h.cfg.Now()
	if err := h.store.SaveRoom(ctx, info); err != nil {
		h.log.Error("save room", "room", r.Name(), "err", err)
		return err
	}
	return nil
}

// roomsListed is how many rooms /rooms shows; the rest are counted.
const roomsListed = 20

// cmdRooms lists the rooms in memory (the default room, and those people
// are in or were in lately), most people first, at most roomsListed of
// them; the others are counted, not read from the store.
func (h *Hub) cmdRooms(m *Member, _ string) {
	h.mu.Lock()
	rooms := h.roomListLocked()
	h.mu.Unlock()
	total := max(int(h.roomCount.Load()), len(rooms))
	type row struct {
		name, topic string
		n           int
	}
	rows := make([]row, 0, len(rooms))
	for _, r := range rooms {
		rows = append(rows, row{r.Name(), r.Topic(), r.Len()})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].n != rows[j].n {
			return rows[i].n > rows[j].n
		}
		return rows[i].name < rows[j].name
	})
	h.notice(m, fmt.Sprintf("%d %s:", total, plural(total, "room", "rooms")))
	if len(rows) > roomsListed {
		rows = rows[:roomsListed]
	}
	for _, r := range rows {
		line := fmt.Sprintf("  %s (%d)", r.name, r.n)
		if r.topic != "" {
			line += " " + r.topic
		}
		h.notice(m, line)
	}
	if more := total - len(rows); more > 0 {
		h.notice(m, fmt.Sprintf("  and %d more (/join #NAME enters one)", more))
	}
}

func (h *Hub) cmdTopic(m *Member, args string) {
	room := m.Room()
	if room == nil {
		return
	}
	if args == "" {
		if topic := room.Topic(); topic != "" {
			h.notice(m, fmt.Sprintf("Topic of %s: %s", room.Name(), topic))
		} else {
			h.notice(m, room.Name()+" has no topic. /topic TEXT sets one.")
		}
		return
	}
	if h.refuseIfMutedAs(m, "Topic not set") {
		return
	}
	info := room.info()
	if !(m.key() != "" && m.key() == info.CreatorKey) && !h.isOperator(m) {
		h.notice(m, "/topic: not permitted (the room's creator and operators may set it).")
		return
	}
	topic := Unforgeable(sanitize.Truncate(args, maxTopicLen))
	// Stored, then shown: a topic the store refused is nobody's topic.
	if err := h.saveRoom(room, topic); err != nil {
		h.notice(m, "Topic not set: the server could not store it.")
		return
	}
	room.setTopic(topic)
	h.publishChange(ChangeRoom, room.Name())
	h.audit(m, "topic", room.Name(), topic)
	room.publish(&Event{Kind: KindAnnounce, Text: fmt.Sprintf("%s set the topic: %s", m.Nick(), topic)}, &m.inflight)
}
