package chat

import (
	"context"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// TestMarkersMoveForwardOnlyAndAreWrittenOnClose: what a session reports
// reaches the store in batches; an older report never moves a marker back;
// what is still cached when the hub closes is written then; a guest and a
// plain tail keep none; a bot's marker is apart from its owner's.
func TestMarkersMoveForwardOnlyAndAreWrittenOnClose(t *testing.T) {
	h, st := sqliteHub(t, Config{})
	alice, _ := join(t, h, "alice")
	bot, err := h.Join(Identity{User: "bridge", Fingerprint: "SHA256:alice", Bot: true}, &fakePeer{})
	if err != nil {
		t.Fatal(err)
	}
	guest, err := h.Join(Identity{User: "guest"}, &fakePeer{})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(seq uint64) *Event { return &Event{Kind: KindMessage, Room: "#lobby", Seq: seq} }
	h.MarkShown(alice, []*Event{ev(7), ev(9)})
	h.MarkShown(bot, []*Event{ev(3)})
	h.MarkShown(guest, []*Event{ev(9)})
	h.reportMarks(alice)
	h.reportMarks(bot)
	h.reportMarks(guest)
	h.putMarks(store.MarkerUpdate{Key: "SHA256:alice", Room: "#lobby", Seq: 2, Updated: h.cfg.Now()}) // an older report
	h.Leave(alice, "test")
	h.Leave(bot, "test")
	h.Leave(guest, "test")
	h.Close()

	ctx := context.Background()
	for key, want := range map[string]uint64{"SHA256:alice": 9, "bot:SHA256:alice": 3} {
		ms, err := st.ReadMarkers(ctx, key, 10)
		if err != nil || len(ms) != 1 || ms[0].Room != "#lobby" || ms[0].Seq != want {
			t.Errorf("markers of %s: %+v, %v; want #lobby at %d", key, ms, err, want)
		}
	}
	if ms, _ := st.ReadMarkers(ctx, "", 10); len(ms) != 0 {
		t.Errorf("a guest has markers: %+v", ms)
	}
}

func TestAskLimiterBoundsKeysAndTime(t *testing.T) {
	var l askLimiter
	now := time.Unix(1000, 0)
	if l.wait("a", now) != 0 || l.wait("a", now.Add(time.Second)) == 0 || l.wait("a", now.Add(unreadEvery)) != 0 {
		t.Error("one key is not limited to one ask per interval")
	}
	for i := range maxUnreadAskers {
		l.wait(string(rune(i+100)), now)
	}
	if len(l.last) > maxUnreadAskers {
		t.Errorf("%d keys remembered, at most %d", len(l.last), maxUnreadAskers)
	}
}
