package storetest

import (
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Conformance of the methods that keep rooms and nick claims bounded:
// rooms loaded one at a time, room removal, nick expiry and release.

func testRoomOnDemand(t *testing.T, s store.Store) {
	if _, ok, err := s.Room(ctx(t), "#dev"); err != nil || ok {
		t.Fatalf("Room of an empty store = %v, %v", ok, err)
	}
	dev := store.RoomInfo{Name: "#Dev", Topic: "code", CreatorKey: "SHA256:a", Created: base}
	must(t, s.SaveRoom(ctx(t), dev))
	must(t, s.SaveRoom(ctx(t), store.RoomInfo{Name: "#ops", Created: base}))
	got, ok, err := s.Room(ctx(t), "#DEV")
	must(t, err)
	if !ok || got.Name != dev.Name || got.Topic != dev.Topic || got.CreatorKey != dev.CreatorKey || !got.Created.Equal(dev.Created) {
		t.Errorf("Room(#DEV) = %+v, %v; want %+v", got, ok, dev)
	}
	if n, err := s.CountRooms(ctx(t)); err != nil || n != 2 {
		t.Errorf("CountRooms = %d, %v; want 2", n, err)
	}
	if seq, err := s.RoomSeq(ctx(t), "#Dev"); err != nil || seq != 0 {
		t.Errorf("RoomSeq of a room without lines = %d, %v", seq, err)
	}
	AppendWait(t, s, Msg("#Dev", 1, "one"), Msg("#Dev", 2, "two"), Msg("#ops", 1, "kept"))
	if seq, err := s.RoomSeq(ctx(t), "#Dev"); err != nil || seq != 2 {
		t.Errorf("RoomSeq(#Dev) = %d, %v; want 2", seq, err)
	}

	had, err := s.DeleteRoom(ctx(t), "#dev")
	must(t, err)
	if !had {
		t.Error("DeleteRoom(#dev) found no room")
	}
	if _, ok, _ := s.Room(ctx(t), "#dev"); ok {
		t.Error("the room is still there after DeleteRoom")
	}
	if n, _ := s.CountRooms(ctx(t)); n != 1 {
		t.Errorf("CountRooms after DeleteRoom = %d, want 1", n)
	}
	msgs, err := s.Recent(ctx(t), "#Dev", 0, 10)
	must(t, err)
	wantTexts(t, "Recent of a deleted room", msgs)
	msgs, err = s.Recent(ctx(t), "#ops", 0, 10)
	must(t, err)
	wantTexts(t, "Recent of another room", msgs, "kept")
	if seq, err := s.RoomSeq(ctx(t), "#Dev"); err != nil || seq != 2 {
		t.Errorf("RoomSeq after DeleteRoom = %d, %v; want 2 (never reused)", seq, err)
	}
	if had, err := s.DeleteRoom(ctx(t), "#nosuch"); err != nil || had {
		t.Errorf("DeleteRoom(#nosuch) = %v, %v", had, err)
	}
}

func testNickExpiry(t *testing.T, s store.Store) {
	const a, b = "SHA256:a", "SHA256:b"
	for nick, key := range map[string]string{"root": a, "bob": b} {
		if owner, err := s.ClaimNick(ctx(t), nick, key); err != nil || owner != key {
			t.Fatalf("ClaimNick(%s) = %q, %v", nick, owner, err)
		}
	}
	must(t, s.SeenKey(ctx(t), a, base))
	must(t, s.SeenKey(ctx(t), b, base.Add(2*time.Hour)))
	must(t, s.SeenKey(ctx(t), "SHA256:nobody", base)) // owns nothing: no-op
	n, err := s.ExpireNicks(ctx(t), base.Add(time.Hour))
	must(t, err)
	if n != 1 {
		t.Errorf("ExpireNicks released %d nicks, want 1", n)
	}
	if owner, _ := s.NickOwner(ctx(t), "root"); owner != "" {
		t.Errorf("root is still owned by %q after expiry", owner)
	}
	if owner, _ := s.NickOwner(ctx(t), "bob"); owner != b {
		t.Errorf("bob's owner = %q, want %q (seen recently)", owner, b)
	}

	owner, err := s.ReleaseNick(ctx(t), "BOB")
	must(t, err)
	if owner != b {
		t.Errorf("ReleaseNick(BOB) = %q, want %q", owner, b)
	}
	if nick, _ := s.OwnedNick(ctx(t), b); nick != "" {
		t.Errorf("key b still owns %q after release", nick)
	}
	if owner, err := s.ReleaseNick(ctx(t), "bob"); err != nil || owner != "" {
		t.Errorf("ReleaseNick of a free nick = %q, %v", owner, err)
	}
}
