package chat

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// This file keeps read markers: for each key and room, the last line that
// key was shown (written to its connection by its own writer). Markers are
// written behind: sessions report what they showed into the hub's cache,
// and one goroutine writes the cache to the store in batches. Reads merge
// the cache with the store, so a marker is current the moment it is
// reported; a crash loses at most the last few seconds of progress, which
// means a few lines shown twice, never a line lost.

// Bot sessions and one-shot tails keep markers of their own, apart from
// the person's: a bridge that reconnects must not skip what its owner read.
const botMarkerPrefix = "bot:"

// Intervals at which a member's progress is handed to the cache while it
// is connected (besides on leaving a room, leaving the chat and /markread):
// people rarely need better, bridges resume from it after a crash.
const (
	markReportEvery    = 10 * time.Second
	botMarkReportEvery = time.Second
	// maxPendingMarks bounds the cache: past it, reports wait for the next
	// flush (they are dropped: the member's next report carries them).
	maxPendingMarks = 100_000
)

// memberMarks is what one member was shown, by room: the highest Seq of
// each room that their writer wrote.
type memberMarks struct {
	mu       sync.Mutex // tier 5: after Room.mu (taken under it on joining); no I/O under it
	shown    shownMarks
	reported int64 // unix nanoseconds: when shown was last handed to the cache (8 bytes, not a time.Time's 24: Member stays in the 448-byte size class)
	// tail is set for a one-shot tail that asked for its marker; other
	// tails keep none.
	tail atomic.Bool
}

// markKey is one marker's identity in the cache.
type markKey struct{ key, room string }

// markCache holds markers reported and not yet written to the store. A
// flusher goroutine runs while it holds any: it writes everything pending
// in one batch, again and again while more comes in, and ends when the
// cache is empty (or a write failed: the next report tries again), so a
// busy server writes one batch per store round trip, not one per report.
type markCache struct {
	mu       sync.Mutex // tier: leaf; no I/O under it
	pending  map[markKey]store.MarkerUpdate
	flushing bool          // a flusher runs
	idle     chan struct{} // closed when the running flusher ends
	closed   bool          // the hub closed: no more flushers
}

func newMarkCache() *markCache {
	return &markCache{pending: make(map[markKey]store.MarkerUpdate)}
}

// markerKey is the key m's markers are kept under, "" for none (guests).
func (m *Member) markerKey() string {
	if m.key() == "" {
		return ""
	}
	if m.hidden && !m.marks.tail.Load() {
		return ""
	}
	if m.identity.Bot || m.hidden {
		return botMarkerPrefix + m.key()
	}
	return m.key()
}

// MarkShown records that m's writer wrote events to m's connection. It is
// called by that writer after each write, so it must not block.
func (h *Hub) MarkShown(m *Member, events []*Event) {
	key := m.markerKey()
	if key == "" {
		return
	}
	now := h.cfg.Now()
	every := markReportEvery
	if m.identity.Bot || m.hidden {
		every = botMarkReportEvery
	}
	m.marks.mu.Lock()
	for _, ev := range events {
		if ev.Seq == 0 || ev.Room == "" {
			continue
		}
		m.marks.shown.raise(ev.Room, ev.Seq)
	}
	due := now.UnixNano()-m.marks.reported >= int64(every)
	m.marks.mu.Unlock()
	select {
	case <-m.done:
		due = true // the last write of a session that has left
	default:
	}
	if due {
		h.reportMarks(m)
	}
}

// reportMarks hands m's shown lines to the cache (for the store).
func (h *Hub) reportMarks(m *Member) {
	key := m.markerKey()
	if key == "" {
		return
	}
	now := h.cfg.Now()
	m.marks.mu.Lock()
	m.marks.reported = now.UnixNano()
	updates := make([]store.MarkerUpdate, 0, m.marks.shown.len())
	m.marks.shown.each(func(room string, seq uint64) {
		updates = append(updates, store.MarkerUpdate{Key: key, Room: room, Seq: seq, Updated: now})
	})
	m.marks.mu.Unlock()
	h.putMarks(updates...)
}

// putMarks merges updates into the cache (forward only) and starts a
// flusher if none runs.
func (h *Hub) putMarks(updates ...store.MarkerUpdate) {
	if len(updates) == 0 {
		return
	}
	c := h.marks
	c.mu.Lock()
	for _, u := range updates {
		k := markKey{u.Key, FoldRoom(u.Room)}
		old, ok := c.pending[k]
		if !ok && len(c.pending) >= maxPendingMarks {
			continue // the member's next report carries it
		}
		if ok && old.Seq > u.Seq {
			u.Seq = old.Seq
		}
		c.pending[k] = u
	}
	start := !c.flushing && !c.closed
	if start {
		c.flushing = true
		c.idle = make(chan struct{})
	}
	c.mu.Unlock()
	if start {
		go h.flushMarks()
	}
}

// of returns the cached markers of key, by folded room name.
func (c *markCache) of(key string) map[string]store.MarkerUpdate {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out map[string]store.MarkerUpdate
	for k, u := range c.pending {
		if k.key == key {
			if out == nil {
				out = make(map[string]store.MarkerUpdate)
			}
			out[k.room] = u
		}
	}
	return out
}

// takeOrStop returns everything pending, or nil after marking the
// flusher stopped when nothing is.
func (c *markCache) takeOrStop() []store.MarkerUpdate {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		c.stopLocked()
		return nil
	}
	batch := make([]store.MarkerUpdate, 0, len(c.pending))
	for _, u := range c.pending {
		batch = append(batch, u)
	}
	return batch
}

func (c *markCache) stopLocked() {
	if c.flushing {
		c.flushing = false
		close(c.idle)
	}
}

// written removes from the cache what batch wrote, unless it moved on
// meanwhile.
func (c *markCache) written(batch []store.MarkerUpdate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range batch {
		k := markKey{u.Key, FoldRoom(u.Room)}
		if cur, ok := c.pending[k]; ok && cur.Seq == u.Seq {
			delete(c.pending, k)
		}
	}
}

// flushMarks is the flusher: the hub owns it, and closeMarks waits for it.
func (h *Hub) flushMarks() {
	defer func() {
		h.marks.mu.Lock()
		h.marks.stopLocked() // also after a panic
		h.marks.mu.Unlock()
	}()
	defer recoverAndLog("read markers")
	for {
		batch := h.marks.takeOrStop()
		if batch == nil {
			return
		}
		if err := h.writeMarkBatch(batch); err != nil {
			return // kept in the cache: the next report starts a flusher again
		}
	}
}

func (h *Hub) writeMarkBatch(batch []store.MarkerUpdate) error {
	ctx, cancel := h.ctx()
	defer cancel()
	if err := h.store.SetReadMarkers(ctx, batch); err != nil {
		h.log.Error("save read markers", "markers", len(batch), "err", err)
		return err
	}
	h.marks.written(batch)
	return nil
}

// closeMarks waits for the flusher and writes what is left, once: the hub
// calls it when it closes, before the store is closed.
func (h *Hub) closeMarks() {
	c := h.marks
	c.mu.Lock()
	c.closed = true
	idle := c.idle
	flushing := c.flushing
	c.mu.Unlock()
	if flushing {
		<-idle
	}
	c.mu.Lock()
	batch := make([]store.MarkerUpdate, 0, len(c.pending))
	for _, u := range c.pending {
		batch = append(batch, u)
	}
	c.mu.Unlock()
	if len(batch) > 0 {
		_ = h.writeMarkBatch(batch)
	}
}

// readMarkers returns key's markers, the store's merged with the cache's,
// for rooms that exist, the most recently moved first (at most limit).
func (h *Hub) readMarkers(ctx context.Context, key string, limit int) ([]store.Marker, error) {
	// The cache first, then the store: the flusher removes a marker from
	// the cache only after the store has it, so one of the two reads sees
	// it. (The other order could miss a marker written between them.)
	cached := h.marks.of(key)
	stored, err := h.store.ReadMarkers(ctx, key, limit)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(stored))
	for i := range stored {
		f := FoldRoom(stored[i].Room)
		seen[f] = true
		if u, ok := cached[f]; ok && u.Seq > stored[i].Seq {
			stored[i].Seq, stored[i].Updated = u.Seq, u.Updated
		}
	}
	for f, u := range cached {
		if seen[f] {
			continue
		}
		// A marker not yet written: its room must still exist.
		info, ok, err := h.store.Room(ctx, u.Room)
		if err != nil || !ok {
			continue
		}
		last, err := h.store.RoomSeq(ctx, info.Name)
		if err != nil {
			continue
		}
		stored = append(stored, store.Marker{Room: info.Name, Seq: u.Seq, Last: last, Updated: u.Updated})
	}
	for i := range stored {
		// The room's own counter is newer than the store's while lines
		// are being committed.
		if r := h.loadedRoom(stored[i].Room); r != nil {
			stored[i].Last = max(stored[i].Last, r.lastSeq())
		}
	}
	sort.SliceStable(stored, func(i, j int) bool { return stored[i].Updated.After(stored[j].Updated) })
	if len(stored) > limit {
		stored = stored[:limit]
	}
	return stored, nil
}

// loadedRoom returns the room called name if it is in memory.
func (h *Hub) loadedRoom(name string) *Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[FoldRoom(name)]
}

// lastSeq is the Seq of the last line r delivered.
func (r *Room) lastSeq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.delivered
}
