package chat

import (
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store/memstore"
)

// Two hubs on one shared in-memory store and bus behave as two nodes of
// one chat: what is said, claimed, set or banned on one is seen on the
// other. Nothing is shared between them but the store and the bus.
func TestTwoHubsShareOneStoreAndBus(t *testing.T) {
	st := memstore.New()
	defer st.Close()
	bus := NewLocalBus()
	a := quietHub(Config{Store: st, Bus: bus})
	defer a.Close()
	b := quietHub(Config{Store: st, Bus: bus})
	defer b.Close()
	a.SetFileOperators([]string{"SHA256:root"})

	root, _ := join(t, a, "root")
	alice, _ := join(t, a, "alice")
	bob, _ := join(t, b, "bob")
	mallory, malloryPeer := join(t, b, "mallory")

	t.Run("a line said on one is shown on the other", func(t *testing.T) {
		a.Handle(alice, "hello from node A")
		waitForText(t, bob, "alice: hello from node A")
		b.Handle(bob, "hello from node B")
		waitForText(t, alice, "bob: hello from node B")
	})

	t.Run("a nick claimed on one is taken on the other", func(t *testing.T) {
		impostor, err := b.Join(Identity{User: "alice", Fingerprint: "SHA256:impostor"}, &fakePeer{})
		if err != nil {
			t.Fatal(err)
		}
		if got := impostor.Nick(); strings.EqualFold(got, "alice") {
			t.Fatalf("another key got the nick alice on node B, owned by alice's key on node A")
		}
	})

	t.Run("a nick online on one is in use on the other", func(t *testing.T) {
		// alice's own key, connecting to node B while alice is online on
		// node A: one nick, one person online under it.
		second, err := b.Join(Identity{User: "alice", Fingerprint: "SHA256:alice"}, &fakePeer{})
		if err != nil {
			t.Fatal(err)
		}
		if got := second.Nick(); strings.EqualFold(got, "alice") {
			t.Fatalf("node B put a second session online as %s while alice is online on node A", got)
		}
		// Once alice leaves node A, the name is free on node B.
		a.Leave(alice, "gone")
		waitFor(t, "alice free on node B", func() bool {
			b.Handle(second, "/nick alice")
			return second.Nick() == "alice"
		})
	})

	t.Run("guests on the two get different numbers", func(t *testing.T) {
		names := make(map[string]bool)
		for i := range 4 {
			h := []*Hub{a, b}[i%2]
			g, err := h.Join(Identity{User: "guest", Addr: "192.0.2.9:1"}, &fakePeer{})
			if err != nil {
				t.Fatal(err)
			}
			if names[g.Nick()] {
				t.Fatalf("two guests on two nodes were both named %s", g.Nick())
			}
			names[g.Nick()] = true
		}
	})

	t.Run("a topic set on one is the topic on the other", func(t *testing.T) {
		a.Handle(root, "/topic shared by both nodes")
		waitFor(t, "the topic on node B", func() bool { return b.lobby.Topic() == "shared by both nodes" })
	})

	t.Run("a room removed on one is removed on the other", func(t *testing.T) {
		b.Handle(bob, "/join #dev")
		waitFor(t, "bob in #dev on node B", func() bool { return bob.Room().Name() == "#dev" })
		a.Handle(root, "/rmroom #dev")
		waitFor(t, "bob back in the default room", func() bool { return bob.Room() == b.lobby })
	})

	t.Run("a ban made on one is enforced on the other", func(t *testing.T) {
		a.Handle(root, "/ban SHA256:mallory spam")
		waitFor(t, "mallory, on node B, disconnected", malloryPeer.disconnected)
		if ok, _ := b.Admission("SHA256:mallory", "192.0.2.1"); ok {
			t.Error("node B still admits the key banned on node A")
		}
		_ = mallory
	})
}

// waitForText drains m until its screen shows want, for at most 10 s.
func waitForText(t *testing.T, m *Member, want string) {
	t.Helper()
	var seen strings.Builder
	waitFor(t, "a line with "+want, func() bool {
		seen.WriteString(drainText(m))
		return strings.Contains(seen.String(), want)
	})
}

// waitFor polls cond for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBusRedeliveryIsShownOnce: a bus that delivers a line twice (a
// networked bus delivers at least once) shows it once: a room drops a
// sequence number it delivered already.
func TestBusRedeliveryIsShownOnce(t *testing.T) {
	bus := NewLocalBus()
	h := quietHub(Config{Bus: bus})
	defer h.Close()
	alice, _ := join(t, h, "alice")
	drainText(alice)
	line := Line{Msg: (&Event{Kind: KindMessage, Room: h.lobby.Name(), Seq: 1000, Time: time.Now(), From: "bob", Text: "once"}).message()}
	bus.PublishLine(line)
	bus.PublishLine(line)
	if got := strings.Count(drainText(alice), "bob: once"); got != 1 {
		t.Errorf("a line delivered twice by the bus was shown %d times, want 1", got)
	}
}
