package cluster_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/cluster"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/store/storetest"
)

// A node that dies without releasing its people's online claims (crash,
// lost network) must not keep their nicks forever: a claim lives one TTL
// past the node's last refresh. A live node keeps its claims well past
// the TTL.
func TestOnlineClaimOfADeadNodeExpires(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	const ttl = 2 * time.Second // refreshed every 0.67 s: a margin for a loaded machine
	a := openClusterStoreWith(t, nats.URL(), "a", filepath.Join(t.TempDir(), "a.db"), cluster.StoreOptions{PresenceTTL: ttl})
	b := openClusterStoreWith(t, nats.URL(), "b", filepath.Join(t.TempDir(), "b.db"), cluster.StoreOptions{PresenceTTL: ttl})
	ctx := testContext(t)

	if h, err := a.ClaimOnline(ctx, "Zed", "a/1"); err != nil || h != "a/1" {
		t.Fatalf("claim on a = %q, %v", h, err)
	}
	// Alive: still a's after two TTLs (a refreshes every TTL/3).
	for end := time.Now().Add(2 * ttl); time.Now().Before(end); {
		if h, err := b.ClaimOnline(ctx, "zed", "b/1"); err != nil || h != "a/1" {
			t.Fatalf("while a is alive, b's claim = %q, %v; want a/1", h, err)
		}
		time.Sleep(100 * time.Millisecond) // pacing the probe, not waiting for an outcome
	}

	a.Close() // a stops refreshing and releases nothing, like a crash
	deadline := time.Now().Add(waitTimeout)
	for {
		h, err := b.ClaimOnline(ctx, "zed", "b/1")
		if err != nil {
			t.Fatal(err)
		}
		if h == "b/1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a's claim outlived a by %v", waitTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A node restarted on its read model reads the stream again from the
// start: nothing is stored twice, and lines appended meanwhile by other
// nodes are there.
func TestReadModelReappliesHarmlessly(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	dbA := filepath.Join(t.TempDir(), "a.db")
	a := openClusterStoreWith(t, nats.URL(), "a", dbA, cluster.StoreOptions{})
	b := openClusterStore(t, nats.URL(), "b")
	storetest.AppendWait(t, a, storetest.Msg("#r", 0, "one"), storetest.Msg("#r", 0, "two"))
	a.Close()
	storetest.AppendWait(t, b, storetest.Msg("#r", 0, "three"))

	again := openClusterStoreWith(t, nats.URL(), "a", dbA, cluster.StoreOptions{})
	got, err := again.Recent(testContext(t), "#r", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range got {
		texts = append(texts, m.Text)
	}
	if len(got) != 3 || got[0].Text != "one" || got[2].Text != "three" || got[2].Seq != 3 {
		t.Fatalf("read model after restart = %q (%+v), want one two three with seqs 1..3", texts, got)
	}
}
