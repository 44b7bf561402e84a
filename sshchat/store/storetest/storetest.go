// Package storetest is the conformance suite of store.Store: every backend
// (SQLite now, NATS JetStream later) runs Run against fresh stores, so that
// the chat domain can rely on the documented behaviour and not on one
// engine's accidents.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Opener returns a fresh, empty store. Run closes it at the end of each
// subtest (closing it again must be harmless).
type Opener func(t *testing.T) store.Store

// base is a whole-millisecond UTC time, so that every backend round-trips it.
var base = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Run runs every conformance test as a subtest.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"AppendRecent", testAppendRecent},
		{"AppendFIFO", testAppendFIFO},
		{"AppendConcurrent", testAppendConcurrent},
		{"AppendRejects", testAppendRejects},
		{"AppendPrivate", testAppendPrivate},
		{"LastSeqs", testLastSeqs},
		{"Search", testSearch},
		{"Prune", testPrune},
		{"Offline", testOffline},
		{"MailboxFull", testMailboxFull},
		{"MailboxPerSender", testMailboxPerSender},
		{"Nicks", testNicks},
		{"Operators", testOperators},
		{"Bans", testBans},
		{"Mutes", testMutes},
		{"Audit", testAudit},
		{"Rooms", testRooms},
		{"RoomOnDemand", testRoomOnDemand},
		{"NickExpiry", testNickExpiry},
		{"Prefs", testPrefs},
		{"Markers", testMarkers},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

// Msg returns a room message with whole-millisecond time base+seq seconds.
func Msg(room string, seq uint64, text string) store.Message {
	return store.Message{
		Room: room, Seq: seq, Time: base.Add(time.Duration(seq) * time.Second),
		Kind: store.KindMsg, From: "alice", FromKey: "SHA256:alice", Text: text,
	}
}

// AppendWait appends ms and waits for every callback; it fails t on the
// first error.
func AppendWait(t testing.TB, s store.History, ms ...store.Message) {
	t.Helper()
	errs := AppendAll(s, ms...)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("append %s seq %d: %v", ms[i].Room, ms[i].Seq, err)
		}
	}
}

// AppendAll appends ms and returns each callback's error once all came.
func AppendAll(s store.History, ms ...store.Message) []error {
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	wg.Add(len(ms))
	for i, m := range ms {
		s.Append(m, func(err error) { errs[i] = err; wg.Done() })
	}
	wg.Wait()
	return errs
}

func ctx(t *testing.T) context.Context { return t.Context() }

func texts(ms []store.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func wantTexts(t *testing.T, what string, ms []store.Message, want ...string) {
	t.Helper()
	if got := texts(ms); !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testAppendRecent(t *testing.T, s store.Store) {
	full := store.Message{
		Room: "#lobby", Seq: 1, Time: base.Add(1234 * time.Millisecond), Kind: store.KindEmote,
		From: "Alice", FromKey: "SHA256:alice", To: "", ToKey: "", Text: "waves ünïcode ✓",
	}
	AppendWait(t, s, full)
	for i := uint64(2); i <= 10; i++ {
		AppendWait(t, s, Msg("#lobby", i, fmt.Sprint("m", i)), Msg("#dev", i, fmt.Sprint("d", i)))
	}
	got, err := s.Recent(ctx(t), "#lobby", 0, 1000)
	must(t, err)
	if len(got) != 10 {
		t.Fatalf("Recent returned %d messages, want 10", len(got))
	}
	if g := got[0]; g != full {
		if !g.Time.Equal(full.Time) || g.Time.Location() != time.UTC {
			t.Errorf("time = %v, want %v in UTC", g.Time, full.Time)
		}
		g.Time = full.Time
		if g != full {
			t.Errorf("round trip = %+v, want %+v", g, full)
		}
	}
	got, err = s.Recent(ctx(t), "#lobby", 0, 3)
	must(t, err)
	wantTexts(t, "Recent(#lobby, 0, 3)", got, "m8", "m9", "m10")
	got, err = s.Recent(ctx(t), "#lobby", 5, 2)
	must(t, err)
	wantTexts(t, "Recent(#lobby, 5, 2)", got, "m3", "m4")
	got, err = s.Recent(ctx(t), "#dev", 3, 100)
	must(t, err)
	wantTexts(t, "Recent(#dev, 3, 100)", got, "d2")
	got, err = s.Recent(ctx(t), "#none", 0, 10)
	must(t, err)
	wantTexts(t, "Recent(#none)", got)
	got, err = s.Recent(ctx(t), "#lobby", 0, 0)
	must(t, err)
	wantTexts(t, "Recent(limit 0)", got)
}

func testAppendFIFO(t *testing.T, s store.Store) {
	const n = 600
	rooms := []string{"#a", "#b", "#c"}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		m := Msg(rooms[i%3], uint64(i/3+1), fmt.Sprint(i))
		s.Append(m, func(err error) {
			if err != nil {
				t.Errorf("append %d: %v", i, err)
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			wg.Done()
		})
	}
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("callback %d was for append %d: callbacks out of order", i, got)
		}
	}
}

func testAppendConcurrent(t *testing.T, s store.Store) {
	const writers, per = 8, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			room := fmt.Sprintf("#r%d", w)
			last := uint64(0)
			var cb sync.WaitGroup
			var mu sync.Mutex
			for i := uint64(1); i <= per; i++ {
				cb.Add(1)
				s.Append(Msg(room, i, "x"), func(err error) {
					defer cb.Done()
					if err != nil {
						t.Errorf("append %s %d: %v", room, i, err)
					}
					mu.Lock()
					if i != last+1 {
						t.Errorf("%s: callback for %d after %d", room, i, last)
					}
					last = i
					mu.Unlock()
				})
			}
			cb.Wait()
		})
	}
	wg.Wait()
	seqs, err := s.LastSeqs(ctx(t))
	must(t, err)
	for w := range writers {
		if got := seqs[fmt.Sprintf("#r%d", w)]; got != per {
			t.Errorf("LastSeqs[#r%d] = %d, want %d", w, got, per)
		}
	}
}

func testAppendRejects(t *testing.T, s store.Store) {
	noTime := Msg("#lobby", 4, "no time")
	noTime.Time = time.Time{}
	errs := AppendAll(s,
		Msg("#lobby", 1, "one"),
		Msg("#lobby", 1, "duplicate"),
		Msg("#lobby", 0, "seq zero"),
		noTime,
		Msg("#lobby", 2, "two"),
	)
	for i, wantErr := range []bool{false, true, true, true, false} {
		if (errs[i] != nil) != wantErr {
			t.Errorf("append %d: err = %v, want error %v", i, errs[i], wantErr)
		}
	}
	got, err := s.Recent(ctx(t), "#lobby", 0, 10)
	must(t, err)
	wantTexts(t, "Recent", got, "one", "two")
}

func testAppendPrivate(t *testing.T, s store.Store) {
	pm := store.Message{Time: base, Kind: store.KindPM, From: "alice", FromKey: "SHA256:a",
		To: "bob", ToKey: "SHA256:b", Text: "secret plans"}
	noTime := pm
	noTime.Time = time.Time{}
	errs := AppendAll(s, Msg("#lobby", 1, "public plans"), pm, pm, noTime, Msg("#lobby", 2, "more"))
	for i, wantErr := range []bool{false, false, false, true, false} {
		if (errs[i] != nil) != wantErr {
			t.Errorf("append %d: err = %v, want error %v", i, errs[i], wantErr)
		}
	}
	for _, room := range []string{"", "#lobby"} {
		got, err := s.Recent(ctx(t), room, 0, 10)
		must(t, err)
		for _, m := range got {
			if m.Kind == store.KindPM {
				t.Errorf("Recent(%q) returned the private message %+v", room, m)
			}
		}
		got, err = s.Search(ctx(t), room, "plans", 10)
		must(t, err)
		for _, m := range got {
			if m.Kind == store.KindPM {
				t.Errorf("Search(%q) returned the private message %+v", room, m)
			}
		}
	}
	seqs, err := s.LastSeqs(ctx(t))
	must(t, err)
	if want := map[string]uint64{"#lobby": 2}; !mapsEqual(seqs, want) {
		t.Errorf("LastSeqs = %v, want %v", seqs, want)
	}
	n, err := s.PruneBefore(ctx(t), base.Add(time.Hour))
	must(t, err)
	if n != 4 {
		t.Errorf("PruneBefore deleted %d, want 4 (2 room lines, 2 private)", n)
	}
}

func testLastSeqs(t *testing.T, s store.Store) {
	seqs, err := s.LastSeqs(ctx(t))
	must(t, err)
	if len(seqs) != 0 {
		t.Errorf("LastSeqs of an empty store = %v", seqs)
	}
	AppendWait(t, s, Msg("#a", 1, ""), Msg("#a", 7, ""), Msg("#b", 3, ""), Msg("#a", 5, ""))
	seqs, err = s.LastSeqs(ctx(t))
	must(t, err)
	if want := map[string]uint64{"#a": 7, "#b": 3}; !mapsEqual(seqs, want) {
		t.Errorf("LastSeqs = %v, want %v", seqs, want)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func testSearch(t *testing.T, s store.Store) {
	AppendWait(t, s,
		Msg("#dev", 1, "Deploying the NEW build"),
		Msg("#dev", 2, "lunch?"),
		Msg("#dev", 3, "the build is green"),
		Msg("#dev", 4, "build deployed to prod"),
		Msg("#ops", 1, "build on ops"),
		Msg("#dev", 5, "100% done; it's fine"),
	)
	cases := []struct {
		query string
		limit int
		want  []string
	}{
		{"build", 10, []string{"Deploying the NEW build", "the build is green", "build deployed to prod"}},
		{"BUILD", 2, []string{"the build is green", "build deployed to prod"}},
		{"new Build", 10, []string{"Deploying the NEW build"}},
		{"deploy", 10, []string{"Deploying the NEW build", "build deployed to prod"}},
		{"green prod", 10, nil},
		{"100%", 10, []string{"100% done; it's fine"}},
		{`"it's" *`, 10, []string{"100% done; it's fine"}},
		{"nothing", 10, nil},
		{"", 10, nil},
		{"  %%  ", 10, nil},
		{"build", 0, nil},
	}
	for _, c := range cases {
		got, err := s.Search(ctx(t), "#dev", c.query, c.limit)
		if err != nil {
			t.Errorf("Search(%q): %v", c.query, err)
			continue
		}
		wantTexts(t, fmt.Sprintf("Search(%q, %d)", c.query, c.limit), got, c.want...)
	}
	got, err := s.Search(ctx(t), "#ops", "build", 10)
	must(t, err)
	wantTexts(t, "Search(#ops)", got, "build on ops")
	if len(got) == 1 && got[0].Seq != 1 {
		t.Errorf("Search result seq = %d, want 1", got[0].Seq)
	}
}

func testPrune(t *testing.T, s store.Store) {
	for i := uint64(1); i <= 10; i++ {
		AppendWait(t, s, Msg("#a", i, fmt.Sprint(i)), Msg("#b", i, fmt.Sprint(i)))
	}
	n, err := s.PruneBefore(ctx(t), base.Add(4*time.Second)) // seq 1..3 of both rooms
	must(t, err)
	if n != 6 {
		t.Errorf("PruneBefore deleted %d, want 6", n)
	}
	got, err := s.Recent(ctx(t), "#a", 0, 100)
	must(t, err)
	wantTexts(t, "Recent after prune", got, "4", "5", "6", "7", "8", "9", "10")
	got, err = s.Search(ctx(t), "#a", "2", 100)
	must(t, err)
	wantTexts(t, "Search after prune", got)
	n, err = s.PruneBefore(ctx(t), base.Add(time.Hour))
	must(t, err)
	if n != 14 {
		t.Errorf("second PruneBefore deleted %d, want 14", n)
	}
	seqs, err := s.LastSeqs(ctx(t))
	must(t, err)
	if want := map[string]uint64{"#a": 10, "#b": 10}; !mapsEqual(seqs, want) {
		t.Errorf("LastSeqs after pruning everything = %v, want %v (sequence numbers must not be reused)", seqs, want)
	}
}

func testOffline(t *testing.T, s store.Store) {
	pm := func(to, text string, sec int) store.Message {
		return store.Message{Time: base.Add(time.Duration(sec) * time.Second), Kind: store.KindPM,
			From: "alice", FromKey: "SHA256:alice", To: to, ToKey: "SHA256:" + to, Text: text}
	}
	first := pm("bob", "hi bob", 1)
	for _, m := range []store.Message{first, pm("carol", "hi carol", 2), pm("bob", "still there?", 3)} {
		must(t, s.SaveOffline(ctx(t), m))
	}
	if err := s.SaveOffline(ctx(t), store.Message{Time: base, Text: "nobody"}); err == nil {
		t.Error("SaveOffline without ToKey succeeded")
	}
	got, err := s.PeekOffline(ctx(t), "SHA256:bob")
	must(t, err)
	wantTexts(t, "PeekOffline(bob)", got, "hi bob", "still there?")
	if len(got) > 0 {
		g := got[0]
		if !g.Time.Equal(first.Time) {
			t.Errorf("time = %v, want %v", g.Time, first.Time)
		}
		if g.MailboxID == 0 {
			t.Error("a kept message has no MailboxID")
		}
		g.Time, g.MailboxID = first.Time, 0
		if g != first {
			t.Errorf("round trip = %+v, want %+v", g, first)
		}
	}
	// Peeking keeps them: a session that dies before showing them loses
	// nothing.
	again, err := s.PeekOffline(ctx(t), "SHA256:bob")
	must(t, err)
	wantTexts(t, "second PeekOffline(bob)", again, "hi bob", "still there?")

	// Deleting what was shown; ids of another mailbox are ignored.
	carol, err := s.PeekOffline(ctx(t), "SHA256:carol")
	must(t, err)
	must(t, s.DeleteOffline(ctx(t), "SHA256:bob", []uint64{got[0].MailboxID, carol[0].MailboxID}))
	got, err = s.PeekOffline(ctx(t), "SHA256:bob")
	must(t, err)
	wantTexts(t, "PeekOffline(bob) after deleting the first", got, "still there?")
	must(t, s.DeleteOffline(ctx(t), "SHA256:bob", []uint64{got[0].MailboxID}))
	got, err = s.PeekOffline(ctx(t), "SHA256:bob")
	must(t, err)
	wantTexts(t, "PeekOffline(bob) after deleting both", got)
	got, err = s.PeekOffline(ctx(t), "SHA256:carol")
	must(t, err)
	wantTexts(t, "PeekOffline(carol)", got, "hi carol")
}

// testMailboxFull: at most store.MaxOffline messages wait for one key.
func testMailboxFull(t *testing.T, s store.Store) {
	m := store.Message{Time: base, Kind: store.KindPM, To: "dave", ToKey: "SHA256:dave"}
	for i := range store.MaxOffline {
		m.FromKey = fmt.Sprintf("SHA256:friend%d", i%10) // within each sender's share
		m.Text = fmt.Sprintf("message %d", i)
		must(t, s.SaveOffline(ctx(t), m))
	}
	m.FromKey = "SHA256:newcomer"
	m.Text = "one too many"
	if err := s.SaveOffline(ctx(t), m); !errors.Is(err, store.ErrMailboxFull) {
		t.Fatalf("message %d: %v, want ErrMailboxFull", store.MaxOffline+1, err)
	}
	got, err := s.PeekOffline(ctx(t), "SHA256:dave")
	must(t, err)
	if len(got) != store.MaxOffline {
		t.Fatalf("kept %d, want %d", len(got), store.MaxOffline)
	}
	must(t, s.DeleteOffline(ctx(t), "SHA256:dave", []uint64{got[0].MailboxID}))
	must(t, s.SaveOffline(ctx(t), m)) // room again once one was shown
}

// testMailboxPerSender: one sender (a key, or a guest's address) may leave
// at most store.MaxOfflinePerSender messages for one key; others still can.
func testMailboxPerSender(t *testing.T, s store.Store) {
	m := store.Message{Time: base, Kind: store.KindPM, To: "erin", ToKey: "SHA256:erin"}
	fill := func(fromKey, fromAddr string) {
		t.Helper()
		m.FromKey, m.FromAddr = fromKey, fromAddr
		for i := range store.MaxOfflinePerSender {
			m.Text = fmt.Sprintf("%s%s %d", fromKey, fromAddr, i)
			must(t, s.SaveOffline(ctx(t), m))
		}
		if err := s.SaveOffline(ctx(t), m); !errors.Is(err, store.ErrSenderLimit) {
			t.Fatalf("message %d from %s%s: %v, want ErrSenderLimit", store.MaxOfflinePerSender+1, fromKey, fromAddr, err)
		}
	}
	fill("SHA256:junk", "")
	fill("", "192.0.2.7")                   // a guest, by address
	m.FromKey, m.FromAddr = "", "192.0.2.8" // another guest address is another sender
	must(t, s.SaveOffline(ctx(t), m))
	m.FromKey, m.FromAddr = "SHA256:friend", "192.0.2.7" // a key is counted by key, whatever its address
	must(t, s.SaveOffline(ctx(t), m))
	other := m
	other.ToKey = "SHA256:frank" // the share is per recipient
	other.FromKey, other.FromAddr = "SHA256:junk", ""
	must(t, s.SaveOffline(ctx(t), other))
	got, err := s.PeekOffline(ctx(t), "SHA256:erin")
	must(t, err)
	if want := 2*store.MaxOfflinePerSender + 2; len(got) != want {
		t.Fatalf("kept %d for erin, want %d", len(got), want)
	}
	if got[len(got)-1].FromAddr != "" {
		t.Errorf("a keyed sender's message kept its address %q", got[len(got)-1].FromAddr)
	}
}

func testNicks(t *testing.T, s store.Store) {
	claim := func(nick, key, want string) {
		t.Helper()
		got, err := s.ClaimNick(ctx(t), nick, key)
		must(t, err)
		if got != want {
			t.Errorf("ClaimNick(%q, %q) = %q, want %q", nick, key, got, want)
		}
	}
	owner := func(nick, want string) {
		t.Helper()
		got, err := s.NickOwner(ctx(t), nick)
		must(t, err)
		if got != want {
			t.Errorf("NickOwner(%q) = %q, want %q", nick, got, want)
		}
	}
	owned := func(key, want string) {
		t.Helper()
		got, err := s.OwnedNick(ctx(t), key)
		must(t, err)
		if got != want {
			t.Errorf("OwnedNick(%q) = %q, want %q", key, got, want)
		}
	}
	const a, b = "SHA256:a", "SHA256:b"
	owner("Alice", "")
	owned(a, "")
	claim("Alice", a, a)
	owner("alice", a)
	owner("ALICE", a)
	owned(a, "Alice")
	claim("aLiCe", b, a) // taken: nothing changes
	owned(b, "")
	owned(a, "Alice")
	claim("ALICE", a, a) // own nick in another case: case updated
	owned(a, "ALICE")
	claim("Alicia", a, a) // a key owns one nick: Alice is released
	owner("alice", "")
	owned(a, "Alicia")
	claim("alice", b, b)
	owner("Alice", b)
	claim("Élan", a, a) // non-ASCII is not folded
	owner("élan", "")
	owner("Élan", a)
}

func testOperators(t *testing.T, s store.Store) {
	ops, err := s.Operators(ctx(t))
	must(t, err)
	if len(ops) != 0 {
		t.Errorf("Operators = %q, want none", ops)
	}
	must(t, s.SetOperator(ctx(t), "SHA256:z", true))
	must(t, s.SetOperator(ctx(t), "SHA256:a", true))
	must(t, s.SetOperator(ctx(t), "SHA256:a", true))
	must(t, s.SetOperator(ctx(t), "SHA256:m", true))
	must(t, s.SetOperator(ctx(t), "SHA256:m", false))
	must(t, s.SetOperator(ctx(t), "SHA256:nobody", false))
	ops, err = s.Operators(ctx(t))
	must(t, err)
	if want := []string{"SHA256:a", "SHA256:z"}; !slices.Equal(ops, want) {
		t.Errorf("Operators = %q, want %q", ops, want)
	}
}

func testBans(t *testing.T, s store.Store) {
	now := base.Add(time.Hour)
	bans := []store.Ban{
		{Target: "SHA256:forever", Reason: "spam", By: "op (SHA256:op)", Created: base.Add(3 * time.Minute)},
		{Target: "ip:203.0.113.0/24", Reason: "flood", By: "op", Created: base.Add(1 * time.Minute), Expires: now.Add(time.Millisecond)},
		{Target: "ip:2001:db8::1", Reason: "v6", By: "op", Created: base.Add(2 * time.Minute), Expires: now.Add(time.Hour)},
		{Target: "SHA256:expired", Reason: "old", By: "op", Created: base, Expires: now},
	}
	for _, b := range bans {
		must(t, s.AddBan(ctx(t), b))
	}
	got, err := s.Bans(ctx(t), now)
	must(t, err)
	if want := []store.Ban{bans[1], bans[2], bans[0]}; !bansEqual(got, want) {
		t.Errorf("Bans(now) = %+v, want %+v", got, want)
	}
	got, err = s.Bans(ctx(t), now.Add(time.Millisecond))
	must(t, err)
	if want := []store.Ban{bans[2], bans[0]}; !bansEqual(got, want) {
		t.Errorf("Bans(now+1ms) = %+v, want %+v", got, want)
	}
	// Replacing a ban of the same target.
	renewed := store.Ban{Target: "SHA256:expired", Reason: "again", By: "op2", Created: now, Expires: now.Add(time.Minute)}
	must(t, s.AddBan(ctx(t), renewed))
	got, err = s.Bans(ctx(t), now)
	must(t, err)
	if want := []store.Ban{bans[1], bans[2], bans[0], renewed}; !bansEqual(got, want) {
		t.Errorf("Bans after replace = %+v, want %+v", got, want)
	}
	ok, err := s.RemoveBan(ctx(t), "ip:2001:db8::1")
	must(t, err)
	if !ok {
		t.Error("RemoveBan of an existing ban = false")
	}
	ok, err = s.RemoveBan(ctx(t), "ip:2001:db8::1")
	must(t, err)
	if ok {
		t.Error("RemoveBan of a removed ban = true")
	}
	got, err = s.Bans(ctx(t), now)
	must(t, err)
	if want := []store.Ban{bans[1], bans[0], renewed}; !bansEqual(got, want) {
		t.Errorf("Bans after remove = %+v, want %+v", got, want)
	}
}

func bansEqual(a, b []store.Ban) bool {
	return slices.EqualFunc(a, b, func(x, y store.Ban) bool {
		return x.Target == y.Target && x.Reason == y.Reason && x.By == y.By &&
			x.Created.Equal(y.Created) && x.Expires.Equal(y.Expires) && x.Expires.IsZero() == y.Expires.IsZero()
	})
}

func testMutes(t *testing.T, s store.Store) {
	now := base.Add(time.Hour)
	mutes := []store.Mute{
		{Key: "SHA256:b", By: "op", Created: base.Add(2 * time.Minute)},
		{Key: "SHA256:a", By: "op", Created: base.Add(time.Minute), Expires: now.Add(time.Second)},
		{Key: "SHA256:gone", By: "op", Created: base, Expires: now.Add(-time.Second)},
	}
	for _, m := range mutes {
		must(t, s.AddMute(ctx(t), m))
	}
	got, err := s.Mutes(ctx(t), now)
	must(t, err)
	if want := []store.Mute{mutes[1], mutes[0]}; !mutesEqual(got, want) {
		t.Errorf("Mutes(now) = %+v, want %+v", got, want)
	}
	got, err = s.Mutes(ctx(t), now.Add(time.Second))
	must(t, err)
	if want := []store.Mute{mutes[0]}; !mutesEqual(got, want) {
		t.Errorf("Mutes(now+1s) = %+v, want %+v", got, want)
	}
	again := store.Mute{Key: "SHA256:b", By: "op2", Created: now, Expires: now.Add(time.Hour)}
	must(t, s.AddMute(ctx(t), again))
	ok, err := s.RemoveMute(ctx(t), "SHA256:a")
	must(t, err)
	if !ok {
		t.Error("RemoveMute of an existing mute = false")
	}
	ok, err = s.RemoveMute(ctx(t), "SHA256:nobody")
	must(t, err)
	if ok {
		t.Error("RemoveMute of no mute = true")
	}
	got, err = s.Mutes(ctx(t), now)
	must(t, err)
	if want := []store.Mute{again}; !mutesEqual(got, want) {
		t.Errorf("Mutes after replace and remove = %+v, want %+v", got, want)
	}
}

func mutesEqual(a, b []store.Mute) bool {
	return slices.EqualFunc(a, b, func(x, y store.Mute) bool {
		return x.Key == y.Key && x.By == y.By && x.Created.Equal(y.Created) &&
			x.Expires.Equal(y.Expires) && x.Expires.IsZero() == y.Expires.IsZero()
	})
}

func testAudit(t *testing.T, s store.Store) {
	log, err := s.AuditLog(ctx(t), 10)
	must(t, err)
	if len(log) != 0 {
		t.Errorf("AuditLog of an empty store = %+v", log)
	}
	var all []store.AuditEntry
	for i, action := range []string{"op", "kick", "ban", "unban", "topic"} {
		e := store.AuditEntry{Time: base.Add(time.Duration(i) * time.Second), Actor: "root (SHA256:root)",
			Action: action, Target: fmt.Sprint("t", i), Reason: fmt.Sprint("r", i)}
		must(t, s.Audit(ctx(t), e))
		all = append(all, e)
	}
	log, err = s.AuditLog(ctx(t), 3)
	must(t, err)
	if !auditEqual(log, all[2:]) {
		t.Errorf("AuditLog(3) = %+v, want %+v", log, all[2:])
	}
	log, err = s.AuditLog(ctx(t), 100)
	must(t, err)
	if !auditEqual(log, all) {
		t.Errorf("AuditLog(100) = %+v, want %+v", log, all)
	}
}

func auditEqual(a, b []store.AuditEntry) bool {
	return slices.EqualFunc(a, b, func(x, y store.AuditEntry) bool {
		return x.Time.Equal(y.Time) && x.Actor == y.Actor && x.Action == y.Action &&
			x.Target == y.Target && x.Reason == y.Reason
	})
}

func testRooms(t *testing.T, s store.Store) {
	rooms, err := s.LoadRooms(ctx(t))
	must(t, err)
	if len(rooms) != 0 {
		t.Errorf("LoadRooms of an empty store = %+v", rooms)
	}
	dev := store.RoomInfo{Name: "#Dev", Topic: "code", CreatorKey: "SHA256:a", Created: base.Add(time.Minute)}
	lobby := store.RoomInfo{Name: "#lobby", Topic: "welcome", CreatorKey: "", Created: base}
	must(t, s.SaveRoom(ctx(t), dev))
	must(t, s.SaveRoom(ctx(t), lobby))
	dev.Topic = "code review"
	dev.Name = "#dev"
	must(t, s.SaveRoom(ctx(t), dev)) // same room, other case
	rooms, err = s.LoadRooms(ctx(t))
	must(t, err)
	want := []store.RoomInfo{lobby, dev}
	if !slices.EqualFunc(rooms, want, func(x, y store.RoomInfo) bool {
		return x.Name == y.Name && x.Topic == y.Topic && x.CreatorKey == y.CreatorKey && x.Created.Equal(y.Created)
	}) {
		t.Errorf("LoadRooms = %+v, want %+v", rooms, want)
	}
}

func testPrefs(t *testing.T, s store.Store) {
	const k = "SHA256:k"
	p, err := s.Prefs(ctx(t), k)
	must(t, err)
	if p == nil || len(p) != 0 {
		t.Errorf("Prefs of a new key = %#v, want an empty map", p)
	}
	must(t, s.SetPref(ctx(t), k, "theme", "mono"))
	must(t, s.SetPref(ctx(t), k, "tz", "Europe/Paris"))
	must(t, s.SetPref(ctx(t), k, "theme", "solarized"))
	must(t, s.SetPref(ctx(t), "SHA256:other", "bell", "on"))
	must(t, s.SetPref(ctx(t), k, "bell", "on"))
	must(t, s.SetPref(ctx(t), k, "bell", ""))
	p, err = s.Prefs(ctx(t), k)
	must(t, err)
	if want := map[string]string{"theme": "solarized", "tz": "Europe/Paris"}; !mapsEqual(p, want) {
		t.Errorf("Prefs = %v, want %v", p, want)
	}
}

func testClose(t *testing.T, s store.Store) {
	// Close commits what is queued and calls every callback before it returns.
	const n = 500
	var called [n]bool
	var errs [n]error
	for i := range n {
		s.Append(Msg("#lobby", uint64(i+1), "x"), func(err error) { called[i], errs[i] = true, err })
	}
	must(t, s.Close())
	for i := range n {
		if !called[i] || errs[i] != nil {
			t.Fatalf("append %d after Close: called %v, err %v", i, called[i], errs[i])
		}
	}
	var got error
	s.Append(Msg("#lobby", n+1, "late"), func(err error) { got = err })
	if !errors.Is(got, store.ErrClosed) {
		t.Errorf("Append after Close: callback error %v, want ErrClosed", got)
	}
	if _, err := s.Recent(ctx(t), "#lobby", 0, 1); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Recent after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
