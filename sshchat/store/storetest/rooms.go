package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Conformance of Rooms (room metadata) and Preferences.

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
