package chat

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sshchat/sshchat/sshchat/sanitize"
	"github.com/sshchat/sshchat/sshchat/store"
)

// This file is catching up on return: the summary of rooms with news, the
// unread lines of the room one enters, /unread and /markread. What a key
// has read comes from its read markers (markers.go).

// Bounds of the work one catch-up may ask of the store, however long
// someone was away and in however many rooms.
const (
	// maxSummaryRooms is how many rooms (the most recently read) the
	// summary looks at.
	maxSummaryRooms = 20
	// maxUnreadCount is where counting unread lines stops ("10000+").
	maxUnreadCount = 10_000
	// mentionScan is how many of a room's last sequence numbers are
	// searched for mentions (about 2.5 ms a room on the 2-core machines;
	// 20,000 took 10 ms).
	mentionScan = 5_000
	// maxMentionsListed is how many lines that name you are listed at
	// login, the newest, over all rooms.
	maxMentionsListed = 10
	// unreadEvery is how often one key may ask /unread: at its bounds a
	// summary reads tens of thousands of rows.
	unreadEvery = 5 * time.Second
	// maxUnreadAskers bounds the keys whose last /unread is remembered.
	maxUnreadAskers = 10_000
)

// askLimiter remembers when each key last asked for a summary, so that the
// work holds across all of a key's sessions.
type askLimiter struct {
	mu   sync.Mutex // tier: leaf; no I/O under it
	last map[string]time.Time
}

// wait reports how long key must wait before asking again (0: go ahead,
// and the ask is recorded).
func (l *askLimiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = make(map[string]time.Time)
	}
	if t, ok := l.last[key]; ok && now.Sub(t) < unreadEvery {
		return unreadEvery - now.Sub(t)
	}
	if len(l.last) >= maxUnreadAskers {
		for k, t := range l.last {
			if now.Sub(t) >= unreadEvery {
				delete(l.last, k)
			}
		}
		if len(l.last) >= maxUnreadAskers {
			return unreadEvery // everyone asked a moment ago: so must this one wait
		}
	}
	l.last[key] = now
	return 0
}

// addCatchUpCommands adds /unread and /markread.
func addCatchUpCommands() {
	commands["unread"] = &command{usage: "/unread", help: "rooms with lines you have not seen", run: (*Hub).cmdUnread}
	commands["markread"] = &command{usage: "/markread [#ROOM]", help: "mark everything (or one room) as read (also /mark)", run: (*Hub).cmdMarkread}
	aliases["mark"] = "markread"
}

// roomNews is what one room has that a key has not seen.
type roomNews struct {
	marker   store.Marker
	unread   int             // said lines after the marker (maxUnreadCount: or more)
	mentions []store.Message // lines that name the member, oldest first
}

// enterRoom puts m into r, showing what they missed there: the lines after
// their read marker, or the room's last lines if they have none. With
// summary (on login) it first shows which rooms have news and the lines
// that name them. replay false (bots) shows nothing.
func (h *Hub) enterRoom(m *Member, r *Room, replay, summary bool) {
	key := m.markerKey()
	if !replay || key == "" {
		r.join(m, replay)
		return
	}
	ctx, cancel := h.ctx()
	defer cancel()
	markers, err := h.readMarkers(ctx, key, maxSummaryRooms)
	if err != nil {
		h.log.Error("read markers", "fingerprint", m.key(), "err", err)
		r.join(m, true)
		return
	}
	var here *roomNews
	var news []roomNews
	if summary && !h.loginSummaries.allow(key, h.cfg.Now()) {
		summary = false
		h.notice(m, "You connected often in the last minute, so no summary of other rooms this time: type /unread for it.")
	}
	if summary {
		news = h.news(ctx, m, markers)
		// The room one lands in first, then the others by name.
		sort.SliceStable(news, func(i, j int) bool {
			hi, hj := FoldRoom(news[i].marker.Room) == FoldRoom(r.Name()), FoldRoom(news[j].marker.Room) == FoldRoom(r.Name())
			if hi != hj {
				return hi
			}
			return FoldRoom(news[i].marker.Room) < FoldRoom(news[j].marker.Room)
		})
		h.showSummary(m, news, len(markers) > 0)
		h.listMentions(m, news)
	}
	for i := range markers {
		if FoldRoom(markers[i].Room) != FoldRoom(r.Name()) {
			continue
		}
		here = &roomNews{marker: markers[i]}
		for _, n := range news {
			if FoldRoom(n.marker.Room) == FoldRoom(r.Name()) {
				here.unread = n.unread
			}
		}
		if !summary && markers[i].Last > markers[i].Seq {
			here.unread = h.countUnread(ctx, markers[i])
		}
	}
	r.joinCatchingUp(m, here)
}

// news counts, for each marker, the lines after it and those naming m.
func (h *Hub) news(ctx context.Context, m *Member, markers []store.Marker) []roomNews {
	var out []roomNews
	nick := m.Nick()
	for _, mk := range markers {
		if mk.Last <= mk.Seq {
			continue
		}
		n := roomNews{marker: mk, unread: h.countUnread(ctx, mk)}
		if n.unread == 0 {
			continue
		}
		from := mk.Seq
		if mk.Last > mentionScan {
			from = max(from, mk.Last-mentionScan)
		}
		msgs, err := h.store.MentionsSince(ctx, mk.Room, from, sanitize.FoldNick(nick), m.key(), maxMentionsListed)
		if err != nil {
			h.log.Error("look for mentions", "room", mk.Room, "err", err)
		}
		for _, msg := range msgs {
			if mentions(msg.Text, nick) {
				n.mentions = append(n.mentions, msg)
			}
		}
		out = append(out, n)
	}
	return out
}

func (h *Hub) countUnread(ctx context.Context, mk store.Marker) int {
	n, err := h.store.CountSince(ctx, mk.Room, mk.Seq, maxUnreadCount)
	if err != nil {
		h.log.Error("count unread lines", "room", mk.Room, "err", err)
	}
	return n
}

// showSummary tells m which rooms have news: "#lobby: 42 new lines, 2
// mention you; #dev: 3 new lines". known says whether m has read anything
// here before (a first visit has no summary).
func (h *Hub) showSummary(m *Member, news []roomNews, known bool) {
	if !known {
		return
	}
	if len(news) == 0 {
		h.notice(m, "Nothing new since you were last here.")
		return
	}
	parts := make([]string, 0, len(news))
	for _, n := range news {
		p := fmt.Sprintf("%s: %s new %s", n.marker.Room, countText(n.unread, maxUnreadCount), plural(n.unread, "line", "lines"))
		if k := len(n.mentions); k > 0 {
			p += fmt.Sprintf(", %s %s you", countText(k, maxMentionsListed), plural(k, "mentions", "mention"))
		}
		parts = append(parts, p)
	}
	h.notice(m, strings.Join(parts, "; "))
}

// listMentions shows the newest lines that named m while they were away,
// before anything else, room by room.
func (h *Hub) listMentions(m *Member, news []roomNews) {
	left := maxMentionsListed
	for _, n := range news {
		if len(n.mentions) == 0 || left == 0 {
			continue
		}
		msgs := n.mentions
		if len(msgs) > left {
			msgs = msgs[len(msgs)-left:]
		}
		left -= len(msgs)
		heading := fmt.Sprintf("%d %s that %s you in %s:", len(msgs), plural(len(msgs), "line", "lines"),
			plural(len(msgs), "mentions", "mention"), n.marker.Room)
		pushReplay(m, heading, replaysOf(msgs), replayBudget(m)/4, lineUnit)
	}
}

// countText is n, or "N+" when counting stopped at the cap.
func countText(n, capped int) string {
	if n >= capped {
		return fmt.Sprintf("%d+", capped)
	}
	return fmt.Sprint(n)
}

// joinCatchingUp is join for a member with a read marker here (news not
// nil): they are shown the lines after it that the room's scrollback
// holds, and told how many earlier ones /history shows. Without a marker
// they see the room's last lines, as join shows them. Either way their
// marker starts at the last line the room delivered.
func (r *Room) joinCatchingUp(m *Member, news *roomNews) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.index[m]; ok {
		return
	}
	if m.room.Load() != r {
		r.dropScrollbackIfEmptyLocked()
		return
	}
	recent := r.recentLocked()
	switch {
	case news == nil:
		if len(recent) > 0 {
			pushReplay(m, fmt.Sprintf("Last %d %s of %s:", len(recent), plural(len(recent), "line", "lines"), r.name), recent, replayBudget(m), lineUnit)
		}
	default:
		for len(recent) > 0 && recent[0].Seq <= news.marker.Seq {
			recent = recent[1:]
		}
		unread := max(news.unread, len(recent))
		switch earlier := unread - len(recent); {
		case len(recent) == 0:
			m.out.Push(&Event{Kind: KindNotice, Text: fmt.Sprintf("No new lines in %s since you were last here.", r.name)})
		case earlier <= 0:
			pushReplay(m, fmt.Sprintf("%d new %s in %s since you were last here:", len(recent), plural(len(recent), "line", "lines"), r.name), recent, replayBudget(m), lineUnit)
		default:
			pushReplay(m, fmt.Sprintf("Last %d of %s new lines in %s (and %s earlier, /history %d to see them):",
				len(recent), countText(unread, maxUnreadCount), r.name, countText(earlier, maxUnreadCount-len(recent)),
				min(unread, maxHistoryLines)), recent, replayBudget(m), lineUnit)
		}
	}
	r.index[m] = len(r.members)
	r.members = append(r.members, m)
	m.marks.mu.Lock()
	m.marks.shown.raise(r.name, r.delivered)
	m.marks.mu.Unlock()
}

// noMarkers is a guest's answer to /unread and /markread.
const noMarkers = "Guests have no read markers: connect with an SSH key to catch up on what you missed."

// currentMarkers reports what m's sessions were shown so far and reads the
// markers of key (m's), newest first; on failure m is told, and ok is false.
func (h *Hub) currentMarkers(ctx context.Context, m *Member, key string) (markers []store.Marker, ok bool) {
	h.reportMarks(m)
	markers, err := h.readMarkers(ctx, key, maxSummaryRooms)
	if err != nil {
		h.log.Error("read markers", "fingerprint", m.key(), "err", err)
		h.notice(m, "Read markers are not available right now.")
		return nil, false
	}
	return markers, true
}

// cmdUnread shows the summary of rooms with news.
func (h *Hub) cmdUnread(m *Member, args string) {
	if args != "" {
		h.usage(m, "unread")
		return
	}
	key := m.markerKey()
	if key == "" {
		h.notice(m, noMarkers)
		return
	}
	if wait := h.unreadAsks.wait(key, h.cfg.Now()); wait > 0 {
		h.notice(m, fmt.Sprintf("/unread answers once every %d seconds; ask again in %d.", int(unreadEvery.Seconds()), int(wait.Seconds()+0.999)))
		return
	}
	ctx, cancel := h.ctx()
	defer cancel()
	markers, ok := h.currentMarkers(ctx, m, key)
	if !ok {
		return
	}
	news := h.news(ctx, m, markers)
	if len(news) == 0 {
		h.notice(m, "Nothing unread.")
		return
	}
	h.showSummary(m, news, true)
}

// cmdMarkread moves m's markers of every room with news (or of one room)
// to the room's last line.
func (h *Hub) cmdMarkread(m *Member, args string) {
	name, extra := splitWord(args)
	if extra != "" {
		h.usage(m, "markread")
		return
	}
	if name != "" && !strings.HasPrefix(name, "#") {
		name = "#" + name
	}
	key := m.markerKey()
	if key == "" {
		h.notice(m, noMarkers)
		return
	}
	ctx, cancel := h.ctx()
	defer cancel()
	markers, ok := h.currentMarkers(ctx, m, key)
	if !ok {
		return
	}
	now := h.cfg.Now()
	var moved []store.MarkerUpdate
	var rooms []string
	for _, mk := range markers {
		if mk.Last <= mk.Seq || name != "" && FoldRoom(name) != FoldRoom(mk.Room) {
			continue
		}
		if n, err := h.store.CountSince(ctx, mk.Room, mk.Seq, 1); err == nil && n == 0 {
			continue // only announcements since: nothing to read
		}
		moved = append(moved, store.MarkerUpdate{Key: key, Room: mk.Room, Seq: mk.Last, Updated: now})
		rooms = append(rooms, mk.Room)
	}
	if len(moved) == 0 {
		h.notice(m, "Nothing unread.")
		return
	}
	h.putMarks(moved...)
	h.notice(m, "Marked as read: "+strings.Join(rooms, ", ")+".")
}
