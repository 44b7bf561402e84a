package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// testMarkers checks read markers: they move only forward, follow the
// room's case-insensitive name, vanish with the room, and the queries that
// count and list unread lines stay within their limits.
func testMarkers(t *testing.T, s store.Store) {
	const alice, bob = "SHA256:alice", "SHA256:bob"
	must(t, s.SaveRoom(ctx(t), store.RoomInfo{Name: "#lobby", Created: base}))
	must(t, s.SaveRoom(ctx(t), store.RoomInfo{Name: "#dev", Created: base}))
	for i := uint64(1); i <= 30; i++ {
		m := Msg("#lobby", i, fmt.Sprint("line ", i))
		if i%10 == 0 {
			m.Text = fmt.Sprint("hey Alice, line ", i)
		}
		if i == 15 {
			m.Kind = "announce" // not said: never counted or listed
		}
		AppendWait(t, s, m)
	}
	AppendWait(t, s, Msg("#dev", 1, "d1"), Msg("#dev", 2, "d2"))

	ms, err := s.ReadMarkers(ctx(t), alice, 10)
	must(t, err)
	if len(ms) != 0 {
		t.Fatalf("markers of a new key = %+v", ms)
	}
	must(t, s.SetReadMarkers(ctx(t), []store.MarkerUpdate{{Key: alice, Room: "#lobby", Seq: 20, Updated: base}}))
	must(t, s.SetReadMarkers(ctx(t), []store.MarkerUpdate{
		{Key: alice, Room: "#LOBBY", Seq: 5, Updated: base.Add(time.Second)}, // never back
		{Key: alice, Room: "#dev", Seq: 2, Updated: base.Add(2 * time.Second)},
		{Key: bob, Room: "#lobby", Seq: 1, Updated: base},
		{Key: alice, Room: "#gone", Seq: 1, Updated: base.Add(3 * time.Second)}, // no such room
	}))
	if err := s.SetReadMarkers(ctx(t), []store.MarkerUpdate{{Room: "#lobby", Seq: 1}}); err == nil {
		t.Error("a marker without a key was accepted")
	}

	ms, err = s.ReadMarkers(ctx(t), alice, 10)
	must(t, err)
	if len(ms) != 2 || ms[0].Room != "#dev" || ms[0].Seq != 2 || ms[0].Last != 2 ||
		ms[1].Room != "#lobby" || ms[1].Seq != 20 || ms[1].Last != 30 {
		t.Fatalf("ReadMarkers = %+v, want #dev at 2 of 2, then #lobby at 20 of 30", ms)
	}
	if ms, err := s.ReadMarkers(ctx(t), alice, 1); err != nil || len(ms) != 1 {
		t.Errorf("ReadMarkers(limit 1) = %+v, %v", ms, err)
	}

	n, err := s.CountSince(ctx(t), "#lobby", 10, 1000)
	must(t, err)
	if n != 19 { // 11..30 without the announcement
		t.Errorf("CountSince(10) = %d, want 19", n)
	}
	if n, err := s.CountSince(ctx(t), "#lobby", 0, 7); err != nil || n != 7 {
		t.Errorf("CountSince with limit 7 = %d, %v; want 7", n, err)
	}
	got, err := s.Since(ctx(t), "#lobby", 12, 4)
	must(t, err)
	wantTexts(t, "Since(12, 4)", got, "line 13", "line 14", "line 16", "line 17")

	got, err = s.MentionsSince(ctx(t), "#lobby", 5, "alice", "SHA256:nobody", 2)
	must(t, err)
	wantTexts(t, "MentionsSince(newest 2)", got, "hey Alice, line 20", "hey Alice, line 30")
	got, err = s.MentionsSince(ctx(t), "#lobby", 5, "alice", "SHA256:alice", 10)
	must(t, err)
	wantTexts(t, "MentionsSince(not from the author's own key)", got)

	if _, err := s.DeleteRoom(ctx(t), "#dev"); err != nil {
		t.Fatal(err)
	}
	ms, err = s.ReadMarkers(ctx(t), alice, 10)
	must(t, err)
	if len(ms) != 1 || ms[0].Room != "#lobby" {
		t.Errorf("markers after #dev was removed = %+v", ms)
	}
}
