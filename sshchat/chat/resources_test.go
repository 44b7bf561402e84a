// Over 400 lines: one subject, the bounds on what members can make the
// hub hold (rooms, loads, evictions, scrollback), with the fake stores
// that count what the hub reads.

package chat

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Tests of the bounds on what users create in memory: rooms, the creation
// and claim counters, ignore lists. The SSH-level tests of the same abuse
// are in sshchat/resources_test.go.

// manyRoomsStore pretends to hold rooms many rooms with history and counts
// the calls that would read per-room state.
type manyRoomsStore struct {
	nopStore
	rooms                  int
	loadRooms, lastSeqs    atomic.Int64
	recent, room, roomSeqs atomic.Int64
}

func (s *manyRoomsStore) LoadRooms(context.Context) ([]store.RoomInfo, error) {
	s.loadRooms.Add(1)
	infos := make([]store.RoomInfo, s.rooms)
	for i := range infos {
		infos[i] = store.RoomInfo{Name: fmt.Sprintf("#r%d", i)}
	}
	return infos, nil
}

func (s *manyRoomsStore) LastSeqs(context.Context) (map[string]uint64, error) {
	s.lastSeqs.Add(1)
	seqs := make(map[string]uint64, s.rooms)
	for i := range s.rooms {
		seqs[fmt.Sprintf("#r%d", i)] = 100
	}
	return seqs, nil
}

func (s *manyRoomsStore) Recent(_ context.Context, room string, before uint64, _ int) ([]store.Message, error) {
	s.recent.Add(1)
	if before != 0 {
		return nil, nil // one stored line per room
	}
	return []store.Message{{Room: room, Seq: 100, Time: time.Unix(1, 0), Kind: store.KindMsg, From: "old", Text: "from history"}}, nil
}

func (s *manyRoomsStore) Room(_ context.Context, name string) (store.RoomInfo, bool, error) {
	s.room.Add(1)
	return store.RoomInfo{Name: name}, true, nil
}

func (s *manyRoomsStore) RoomSeq(context.Context, string) (uint64, error) {
	s.roomSeqs.Add(1)
	return 100, nil
}

func (s *manyRoomsStore) CountRooms(context.Context) (int, error) { return s.rooms, nil }

// TestRestartTimeIndependentOfRooms: starting a hub over a store of 10,000
// rooms reads no room's history and no list of every room; each room is
// read when someone first asks for it.
func TestRestartTimeIndependentOfRooms(t *testing.T) {
	st := &manyRoomsStore{rooms: 10000}
	h := quietHub(Config{Store: st})
	defer h.Close()
	if n := st.recent.Load(); n != 0 {
		t.Errorf("start-up read history %d times, want 0", n)
	}
	if st.loadRooms.Load() != 0 || st.lastSeqs.Load() != 0 {
		t.Errorf("start-up listed every room (LoadRooms %d, LastSeqs %d), want neither", st.loadRooms.Load(), st.lastSeqs.Load())
	}
	if rooms, seqs := st.room.Load(), st.roomSeqs.Load(); rooms != 1 || seqs != 1 {
		t.Errorf("start-up loaded %d rooms and %d sequence numbers, want only the default room's", rooms, seqs)
	}

	alice, _ := join(t, h, "alice")
	if text := drainText(alice); !strings.Contains(text, "old: from history") {
		t.Errorf("the first join did not show the default room's scrollback:\n%s", text)
	}
	before := st.recent.Load()
	h.Handle(alice, "/join #r42")
	if text := drainText(alice); !strings.Contains(text, "old: from history") {
		t.Errorf("joining a stored room did not show its scrollback:\n%s", text)
	}
	if n := st.recent.Load() - before; n < 1 || n > 2 {
		t.Errorf("joining one room read history %d times, want 1 or 2 (its lines, then the end)", n)
	}
	if got := h.Online(); got != 1 {
		t.Fatalf("online = %d", got)
	}
	// That the room continues its stored sequence is the store's work
	// now (storetest's StoreAssignsSeq).
}

// TestEmptyRoomDropsScrollback: a room's recent lines are held only while
// someone is in it; whoever joins next gets them from the store, together
// with what was said meanwhile.
func TestEmptyRoomDropsScrollback(t *testing.T) {
	h, _ := sqliteHub(t, Config{})
	defer h.Close()
	alice, _ := join(t, h, "alice")
	h.Handle(alice, "/join #dev")
	h.Handle(alice, "first line")
	dev := alice.Room()
	waitText(t, alice, "alice: first line")
	h.Handle(alice, "/part")
	drainText(alice)
	dev.mu.Lock()
	kept, seeded := len(dev.recent), dev.seeded
	dev.mu.Unlock()
	if kept != 0 || seeded {
		t.Fatalf("the empty room kept %d lines of scrollback (seeded %v)", kept, seeded)
	}
	// A line said while nobody is in (a one-shot say) is not held either.
	if _, err := h.Post(Identity{User: "bob", Fingerprint: "SHA256:bob"}, "#dev", "while empty"); err != nil {
		t.Fatal(err)
	}
	dev.mu.Lock()
	kept = len(dev.recent)
	dev.mu.Unlock()
	if kept != 0 {
		t.Fatalf("a line said in the empty room was held in memory")
	}
	h.Handle(alice, "/join #dev")
	text := waitText(t, alice, "while empty")
	if !strings.Contains(text, "alice: first line") || strings.Index(text, "first line") > strings.Index(text, "while empty") {
		t.Errorf("scrollback read again is not whole and in order:\n%s", text)
	}
}

// TestScrollbackLoadMergesLiveLines: lines delivered while a room's
// scrollback is being read are shown once, after the stored ones.
func TestScrollbackLoadMergesLiveLines(t *testing.T) {
	r := &Room{keep: 5}
	r.seeding = make(chan struct{})
	for seq := uint64(4); seq <= 6; seq++ { // delivered during the read
		ev := &Event{Kind: KindMessage, Seq: seq, Text: fmt.Sprint(seq)}
		r.mu.Lock()
		if r.keepsScrollbackLocked() {
			r.recent = append(r.recent, ev)
		}
		r.mu.Unlock()
	}
	var stored []*Event
	for seq := uint64(1); seq <= 5; seq++ { // the read saw up to 5
		stored = append(stored, &Event{Kind: KindMessage, Seq: seq, Replay: true})
	}
	r.mu.Lock()
	r.mergeScrollbackLocked(stored)
	r.mu.Unlock()
	var seqs []uint64
	for _, ev := range r.recent {
		seqs = append(seqs, ev.Seq)
	}
	if fmt.Sprint(seqs) != "[2 3 4 5 6]" {
		t.Errorf("merged scrollback = %v, want [2 3 4 5 6]", seqs)
	}
}

// TestIdleRoomsAreEvicted: however many rooms one member walks through,
// the hub holds at most MaxLoadedRooms in memory; a room evicted and
// loaded again continues its sequence and its history.
func TestIdleRoomsAreEvicted(t *testing.T) {
	h, st := sqliteHub(t, Config{MaxLoadedRooms: 8, RoomsPerHour: -1, MaxRooms: -1})
	defer h.Close()
	alice, _ := join(t, h, "alice")
	for i := range 40 {
		h.Handle(alice, fmt.Sprintf("/join #r%d", i))
		h.Handle(alice, fmt.Sprintf("line %d", i))
		h.mu.Lock()
		loaded := len(h.rooms)
		h.mu.Unlock()
		if loaded > 8 {
			t.Fatalf("after %d rooms, %d are in memory, want at most 8", i+1, loaded)
		}
	}
	waitText(t, alice, "alice: line 39")
	h.Handle(alice, "/join #r0")
	waitText(t, alice, "alice: line 0")
	h.Handle(alice, "again in r0")
	waitText(t, alice, "alice: again in r0")
	msgs, err := st.Recent(context.Background(), "#r0", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	for _, m := range msgs {
		if m.Kind == store.KindMsg {
			said = append(said, fmt.Sprintf("%d:%s", m.Seq, m.Text))
		}
	}
	if len(said) != 2 || !strings.HasSuffix(said[0], ":line 0") || !strings.HasSuffix(said[1], ":again in r0") {
		t.Errorf("#r0 history after eviction = %v", said)
	}
}

// TestEvictionRacesWithPublishing: rooms evicted while lines, joins and
// one-shot posts arrive never store two lines under one sequence number
// (the store would refuse the second, and a line would be missing).
func TestEvictionRacesWithPublishing(t *testing.T) {
	h, st := sqliteHub(t, Config{MaxLoadedRooms: 2, RoomsPerHour: -1, MaxRooms: -1})
	defer h.Close()
	opener, _ := join(t, h, "opener")
	for i := range 5 {
		h.Handle(opener, fmt.Sprintf("/join #x%d", i))
	}
	h.Leave(opener, "done")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, _ := join(t, h, fmt.Sprintf("w%d", w))
			for i := range 30 {
				h.Handle(m, fmt.Sprintf("/join #x%d", i%5))
				h.Handle(m, fmt.Sprintf("w%d says %d", w, i))
				if _, err := h.Post(Identity{User: fmt.Sprintf("p%d", w), Fingerprint: fmt.Sprintf("SHA256:p%d", w)}, fmt.Sprintf("#x%d", (i+2)%5), "posted"); err != nil {
					t.Errorf("post: %v", err)
				}
				drainText(m)
			}
			h.Leave(m, "done")
		}()
	}
	wg.Wait()
	said := 0
	for i := range 5 {
		msgs, err := st.Recent(context.Background(), fmt.Sprintf("#x%d", i), 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[uint64]bool{}
		for _, m := range msgs {
			if seen[m.Seq] {
				t.Errorf("#x%d: seq %d stored twice", i, m.Seq)
			}
			seen[m.Seq] = true
			if m.Kind == store.KindMsg {
				said++
			}
		}
	}
	if said != 4*30*2 {
		t.Errorf("%d lines stored, want %d", said, 4*30*2)
	}
}

// TestRoomsListIsBounded: /rooms shows the busiest rooms and counts the
// rest, however many there are.
func TestRoomsListIsBounded(t *testing.T) {
	h := quietHub(Config{RoomsPerHour: -1, MaxRooms: -1})
	defer h.Close()
	asker, _ := join(t, h, "asker")
	for i := range 30 {
		m, _ := join(t, h, fmt.Sprintf("u%d", i))
		h.Handle(m, fmt.Sprintf("/join #room%02d", i))
		if i == 7 {
			other, _ := join(t, h, "second")
			h.Handle(other, "/join #room07")
		}
	}
	drainText(asker)
	h.Handle(asker, "/rooms")
	text := drainText(asker)
	rows := strings.Count(text, "  #")
	if rows != roomsListed {
		t.Errorf("/rooms listed %d rooms, want %d:\n%s", rows, roomsListed, text)
	}
	if !strings.Contains(text, "*** 31 rooms:\n*** ") || !strings.Contains(text, "  and 11 more") {
		t.Errorf("/rooms does not count what it leaves out:\n%s", text)
	}
	if !strings.Contains(text, "31 rooms:\n***   #room07 (2)\n") {
		t.Errorf("/rooms does not list the busiest room first:\n%s", text)
	}
}

// TestRoomCreatorsMapIsBounded: the counters of who created rooms (and
// claimed nicks) keep at most their bound of entries, whoever floods them;
// entries whose hour ended make room for newcomers.
func TestRoomCreatorsMapIsBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newHourlyLimiter(1, 100)
	admitted := 0
	for i := range 1000 {
		if ok, _ := l.allow(fmt.Sprintf("addr:%d", i), now); ok {
			admitted++
		}
	}
	if l.size() > 100 || admitted != 100 {
		t.Fatalf("limiter holds %d entries and admitted %d, want at most 100 and 100", l.size(), admitted)
	}
	if ok, _ := l.allow("addr:5", now); ok {
		t.Error("a known address got a second creation within the hour")
	}
	if ok, _ := l.allow("addr:new", now.Add(time.Hour)); !ok {
		t.Error("a newcomer was refused after every entry's hour ended")
	}
	if l.size() != 1 {
		t.Errorf("ended entries were not dropped: %d kept", l.size())
	}
}

func TestActorKeyGroupsIPv6By64(t *testing.T) {
	a := actorKey("", "[2001:db8:1:2:aaaa::1]:5000")
	b := actorKey("", "[2001:db8:1:2:bbbb::9]:6000")
	if a != b || a != "addr:2001:db8:1:2::/64" {
		t.Errorf("actorKey = %q and %q, want one /64", a, b)
	}
	if got := actorKey("", "[::ffff:192.0.2.7]:1"); got != "addr:192.0.2.7" {
		t.Errorf("actorKey of a mapped IPv4 = %q", got)
	}
	if got := actorKey("SHA256:k", "192.0.2.7:1"); got != "SHA256:k" {
		t.Errorf("actorKey of a key = %q", got)
	}
}

func TestValidFingerprint(t *testing.T) {
	for s, want := range map[string]bool{
		"SHA256:" + strings.Repeat("A", 43):       true,
		"SHA256:" + strings.Repeat("A", 42):       false,
		"SHA256:" + strings.Repeat("A", 43) + "=": false,
		"SHA256:" + strings.Repeat("!", 43):       false,
		"SHA256:anything":                         false,
		"MD5:" + strings.Repeat("A", 43):          false,
	} {
		if got := ValidFingerprint(s); got != want {
			t.Errorf("ValidFingerprint(%q) = %v, want %v", s, got, want)
		}
	}
}

// heldStore holds back the commit callbacks of Append while hold is set,
// as a slow disk would.
type heldStore struct {
	store.Store
	hold atomic.Bool
	mu   sync.Mutex
	held []func()
}

func (s *heldStore) Append(m store.Message, committed func(uint64, error)) {
	s.Store.Append(m, func(seq uint64, err error) {
		if s.hold.Load() {
			s.mu.Lock()
			s.held = append(s.held, func() { committed(seq, err) })
			s.mu.Unlock()
			return
		}
		committed(seq, err)
	})
}

func (s *heldStore) heldCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held)
}

func (s *heldStore) release() {
	s.hold.Store(false)
	s.mu.Lock()
	held := s.held
	s.held = nil
	s.mu.Unlock()
	for _, f := range held {
		f()
	}
}

// TestRoomWithLinesInFlightStaysLoaded: a room whose lines are still on
// their way to the store is not evicted (its next load would read a stale
// sequence number); once they are stored it is, and a line published late
// on the evicted object goes to the room's next one, in sequence.
func TestRoomWithLinesInFlightStaysLoaded(t *testing.T) {
	_, st := sqliteHub(t, Config{})
	hs := &heldStore{Store: st}
	h := quietHub(Config{Store: hs})
	defer h.Close()
	alice, _ := join(t, h, "alice")
	h.Handle(alice, "/join #dev")
	h.Handle(alice, "one")
	waitText(t, alice, "alice: one")
	h.mu.Lock()
	dev := h.rooms["#dev"]
	h.mu.Unlock()
	h.Handle(alice, "/part")
	waitText(t, alice, "You are now in #lobby")

	hs.hold.Store(true)
	dev.publish(&Event{Kind: KindMessage, From: "bob", Text: "in flight"}, nil)
	deadline := time.Now().Add(10 * time.Second)
	for hs.heldCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // the store's writer commits it
	}
	if h.unloadRoom(dev, false) {
		t.Fatal("a room with a line in flight was evicted")
	}
	hs.release()
	for dev.pending.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // lines queued behind the held ones
	}
	if !h.unloadRoom(dev, false) {
		t.Fatal("an idle room with nothing in flight was not evicted")
	}
	var late inflightLines
	dev.publish(&Event{Kind: KindMessage, From: "bob", Text: "late"}, &late)
	if waitDelivered(&late, nil, 10*time.Second) != linesDelivered {
		t.Fatal("the late line was not delivered")
	}
	msgs, err := st.Recent(context.Background(), "#dev", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	last := uint64(0)
	for _, m := range msgs {
		if m.Seq <= last {
			t.Errorf("seq %d after %d", m.Seq, last)
		}
		last = m.Seq
		if m.Kind == store.KindMsg {
			said = append(said, m.Text)
		}
	}
	if fmt.Sprint(said) != "[one in flight late]" {
		t.Errorf("#dev holds %v, want [one in flight late]", said)
	}
	h.mu.Lock()
	again := h.rooms["#dev"]
	h.mu.Unlock()
	if again == nil || again == dev || again.holds != 0 {
		t.Errorf("the late line did not load #dev again as a new, unheld room")
	}
}

// TestConcurrentJoinsCreateOneRoom: people who /join the same new room at
// the same moment end up in one room, created (and counted) once.
func TestConcurrentJoinsCreateOneRoom(t *testing.T) {
	h, st := sqliteHub(t, Config{})
	defer h.Close()
	var members []*Member
	for i := range 8 {
		m, _ := join(t, h, fmt.Sprintf("u%d", i))
		members = append(members, m)
	}
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Handle(m, "/join #new")
		}()
	}
	wg.Wait()
	for _, m := range members[1:] {
		if m.Room() != members[0].Room() || m.Room().Name() != "#new" {
			t.Fatalf("%s is in %s, %s in %s", m.Nick(), m.Room().Name(), members[0].Nick(), members[0].Room().Name())
		}
	}
	if n := h.roomCount.Load(); n != 2 {
		t.Errorf("room count = %d, want 2 (#lobby and #new)", n)
	}
	if n, err := st.CountRooms(context.Background()); err != nil || n != 2 {
		t.Errorf("the store holds %d rooms (%v), want 2", n, err)
	}
}
