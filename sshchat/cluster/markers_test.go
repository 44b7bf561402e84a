package cluster_test

import (
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/cluster"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Someone who reads on node A and comes back through node B catches up
// from where they stopped on A: B shows only the lines said since.
func TestReadMarkerFollowsKeyToAnotherNode(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{})
	watcher := openClusterStore(t, nats.URL(), "watcher") // reads what the nodes share

	aliceKey := sshchattest.NewKey(t)
	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")
	bob.Send("line one")
	bob.Send("line two")
	alice.WaitFor("bob: line two")
	alice.Send("/quit")
	alice.WaitClosed()

	// The marker A wrote reaches the shared bucket behind the local store.
	two := seqOf(t, watcher, "#lobby", "line two")
	waitMarker(t, watcher, gossh.FingerprintSHA256(aliceKey.PublicKey()), "#lobby", two)

	bob.Send("line three")
	bob.Send("line four")
	again := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	text := again.WaitFor("bob: line four")
	_, news, ok := strings.Cut(text, "since you were last here:")
	if !ok {
		t.Fatalf("node B did not catch alice up from her marker:\n%s", text)
	}
	if strings.Contains(news, "line two") || !strings.Contains(news, "bob: line three") {
		t.Fatalf("node B caught up from the wrong place:\n%s", text)
	}
}

// Two nodes writing one key's marker at once never move it back: a node
// that reports an older position after another reported a newer one
// leaves the newer.
func TestSharedMarkerNeverMovesBack(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := openClusterStore(t, nats.URL(), "a")
	b := openClusterStore(t, nats.URL(), "b")
	reader := openClusterStore(t, nats.URL(), "reader")
	ctx := testContext(t)
	for _, room := range []string{"#lobby", "#dev"} {
		if err := a.SaveRoom(ctx, store.RoomInfo{Name: room, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	const key = "SHA256:reader"
	now := time.Now()
	set := func(s *cluster.Store, room string, seq uint64, at time.Time) {
		t.Helper()
		if err := s.SetReadMarkers(ctx, []store.MarkerUpdate{{Key: key, Room: room, Seq: seq, Updated: at}}); err != nil {
			t.Fatal(err)
		}
	}
	set(b, "#lobby", 5, now)
	waitMarker(t, reader, key, "#lobby", 5)
	set(a, "#lobby", 20, now.Add(time.Second))
	waitMarker(t, reader, key, "#lobby", 20)
	set(b, "#lobby", 7, now.Add(2*time.Second)) // b's session was behind
	set(b, "#dev", 3, now.Add(3*time.Second))   // written after it: a sentinel
	waitMarker(t, reader, key, "#dev", 3)
	if got := markerSeq(t, reader, key, "#lobby"); got != 20 {
		t.Fatalf("#lobby marker = %d after a late report of 7, want 20", got)
	}

	// A room removed everywhere has no marker on a node that never saw it.
	if _, err := a.DeleteRoom(ctx, "#dev"); err != nil {
		t.Fatal(err)
	}
	fresh := openClusterStore(t, nats.URL(), "fresh")
	if got := markerSeq(t, fresh, key, "#dev"); got != 0 {
		t.Fatalf("marker of a removed room = %d", got)
	}
	if got := markerSeq(t, fresh, key, "#lobby"); got != 20 {
		t.Fatalf("#lobby marker on a fresh node = %d, want 20", got)
	}
}

// seqOf returns the Seq of the line of room with text, once s's read model
// has it.
func seqOf(t *testing.T, s *cluster.Store, room, text string) uint64 {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		msgs, err := s.Since(testContext(t), room, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Text == text {
				return m.Seq
			}
		}
		time.Sleep(50 * time.Millisecond) // a pause between polls
	}
	t.Fatalf("no line %q in %s", text, room)
	return 0
}

func markerSeq(t *testing.T, s *cluster.Store, key, room string) uint64 {
	t.Helper()
	ms, err := s.ReadMarkers(testContext(t), key, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if store.Fold(m.Room) == store.Fold(room) {
			return m.Seq
		}
	}
	return 0
}

// waitMarker polls s until key's marker of room is at least seq.
func waitMarker(t *testing.T, s *cluster.Store, key, room string, seq uint64) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var got uint64
	for time.Now().Before(deadline) {
		if got = markerSeq(t, s, key, room); got >= seq {
			return
		}
		time.Sleep(50 * time.Millisecond) // a pause between polls
	}
	t.Fatalf("marker of %s in %s = %d, want at least %d", key, room, got, seq)
}
