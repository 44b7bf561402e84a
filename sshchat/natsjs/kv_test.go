package natsjs_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
)

// raceCreate has every bucket race to Create the same key once per round
// and checks that exactly one wins each round and the rest see ErrExists.
func raceCreate(t *testing.T, buckets []*natsjs.Bucket, perBucket, rounds int) {
	t.Helper()
	ctx := testContext(t)
	for round := range rounds {
		key := fmt.Sprintf("nick-%d", round)
		var (
			mu      sync.Mutex
			winners []string
			others  []error
			wg      sync.WaitGroup
			start   = make(chan struct{})
		)
		for b, bucket := range buckets {
			for g := range perBucket {
				who := fmt.Sprintf("conn%d/g%d", b, g)
				wg.Go(func() {
					<-start
					_, err := bucket.Create(ctx, key, []byte(who))
					mu.Lock()
					defer mu.Unlock()
					if err == nil {
						winners = append(winners, who)
					} else {
						others = append(others, err)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: %d winners %v, want exactly 1 (errors %v)", round, len(winners), winners, others)
		}
		for _, err := range others {
			if !errors.Is(err, natsjs.ErrExists) {
				t.Fatalf("round %d: loser got %v, want ErrExists", round, err)
			}
		}
		e, err := buckets[0].Get(ctx, key)
		if err != nil || string(e.Value) != winners[0] {
			t.Fatalf("round %d: stored %q, %v; winner was %q", round, e.Value, err, winners[0])
		}
	}
}

// Two nodes (two connections) racing for the same nick: exactly one wins,
// every time.
func TestNickClaimRaceHasOneWinner(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	ctx := testContext(t)
	var buckets []*natsjs.Bucket
	for range 2 {
		c := connect(t, natsjs.Options{}, srv.URL())
		b, err := c.EnsureBucket(ctx, natsjs.BucketConfig{Name: "nicks"})
		if err != nil {
			t.Fatal(err)
		}
		buckets = append(buckets, b)
	}
	raceCreate(t, buckets, 2, 200)
}

func TestUpdateIsCompareAndSet(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	b, err := c.EnsureBucket(ctx, natsjs.BucketConfig{Name: "bans"})
	if err != nil {
		t.Fatal(err)
	}
	rev1, err := b.Create(ctx, "SHA256:abc", []byte("ban 1h"))
	if err != nil {
		t.Fatal(err)
	}
	rev2, err := b.Update(ctx, "SHA256:abc", []byte("ban 2h"), rev1)
	if err != nil || rev2 <= rev1 {
		t.Fatalf("update at the current revision: %d, %v", rev2, err)
	}
	// A second writer that read rev1 loses.
	if _, err := b.Update(ctx, "SHA256:abc", []byte("unban"), rev1); !errors.Is(err, natsjs.ErrRevisionMismatch) {
		t.Fatalf("update at a stale revision: %v, want ErrRevisionMismatch", err)
	}
	if err := b.Delete(ctx, "SHA256:abc", rev1); !errors.Is(err, natsjs.ErrRevisionMismatch) {
		t.Fatalf("delete at a stale revision: %v, want ErrRevisionMismatch", err)
	}
	if e, err := b.Get(ctx, "SHA256:abc"); err != nil || string(e.Value) != "ban 2h" || e.Revision != rev2 {
		t.Fatalf("get: %+v, %v", e, err)
	}
	if err := b.Delete(ctx, "SHA256:abc", rev2); err != nil {
		t.Fatalf("delete at the current revision: %v", err)
	}
	if _, err := b.Get(ctx, "SHA256:abc"); !errors.Is(err, natsjs.ErrNotFound) {
		t.Fatalf("get after delete: %v, want ErrNotFound", err)
	}
	// A deleted key can be claimed again.
	if _, err := b.Create(ctx, "SHA256:abc", []byte("again")); err != nil {
		t.Fatalf("create after delete: %v", err)
	}
	if _, err := b.Create(ctx, string(make([]byte, natsjs.MaxNameBytes+1)), nil); !errors.Is(err, natsjs.ErrNameTooLong) {
		t.Fatalf("overlong key: %v, want ErrNameTooLong", err)
	}
}

// A watcher sees the current state, then every change in order, including
// deletes, and keys come back decoded (names with dots and wildcards too).
// Every change means every revision the bucket still holds when the watcher
// gets to it: with History 1 a value overwritten before delivery is gone
// (see TestWatchConvergesWithHistoryOne), so this bucket keeps 64.
func TestWatchDeliversEveryChangeInOrder(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	b, err := c.EnsureBucket(ctx, natsjs.BucketConfig{Name: "ops", History: 64})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, "before.*", []byte("v0")); err != nil {
		t.Fatal(err)
	}

	entries := make(chan natsjs.Entry, 100)
	ready := make(chan struct{})
	w, err := b.Watch(ctx, func(e natsjs.Entry) { entries <- e }, func() { close(ready) })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	select {
	case <-ready:
	case <-time.After(waitTimeout):
		t.Fatal("watch never said the initial state was complete")
	}

	const n = 50
	for i := range n {
		if _, err := b.Put(ctx, "k>", fmt.Appendf(nil, "v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete(ctx, "before.*", 0); err != nil {
		t.Fatal(err)
	}

	var got []natsjs.Entry
	timeout := time.After(waitTimeout)
	for len(got) < n+2 {
		select {
		case e := <-entries:
			got = append(got, e)
		case <-timeout:
			t.Fatalf("got %d of %d watch entries: %+v", len(got), n+2, got)
		}
	}
	if got[0].Key != "before.*" || string(got[0].Value) != "v0" || got[0].Op != natsjs.OpPut {
		t.Fatalf("initial entry %+v", got[0])
	}
	for i := range n {
		e := got[1+i]
		if e.Key != "k>" || string(e.Value) != fmt.Sprintf("v%d", i) || e.Op != natsjs.OpPut || e.Revision <= got[i].Revision {
			t.Fatalf("entry %d = %+v (previous revision %d)", i, e, got[i].Revision)
		}
	}
	if last := got[n+1]; last.Key != "before.*" || last.Op != natsjs.OpDelete {
		t.Fatalf("last entry %+v, want the delete", last)
	}
}

// With History 1 (one value per key, the default) a watcher may skip values
// overwritten before it received them, but it always ends on every key's
// latest value, in increasing revisions: right for state such as bans,
// where only the latest value counts.
func TestWatchConvergesWithHistoryOne(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	b, err := c.EnsureBucket(ctx, natsjs.BucketConfig{Name: "bans"})
	if err != nil {
		t.Fatal(err)
	}
	entries := make(chan natsjs.Entry, 1000)
	w, err := b.Watch(ctx, func(e natsjs.Entry) { entries <- e }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	const keys, writes = 5, 40
	var lastRev uint64
	for i := range writes {
		rev, err := b.Put(ctx, fmt.Sprintf("key-%d", i%keys), fmt.Appendf(nil, "v%d", i))
		if err != nil {
			t.Fatal(err)
		}
		lastRev = rev
	}
	latest := map[string]string{}
	var prev uint64
	timeout := time.After(waitTimeout)
	for prev < lastRev {
		select {
		case e := <-entries:
			if e.Revision <= prev {
				t.Fatalf("revision %d after %d", e.Revision, prev)
			}
			prev = e.Revision
			latest[e.Key] = string(e.Value)
		case <-timeout:
			t.Fatalf("watch reached revision %d of %d", prev, lastRev)
		}
	}
	for k := range keys {
		want := fmt.Sprintf("v%d", writes-keys+k)
		if got := latest[fmt.Sprintf("key-%d", k)]; got != want {
			t.Errorf("key-%d ended at %q, want %q", k, got, want)
		}
	}
}

// Presence: a key that is not refreshed disappears within its TTL and the
// watcher is told; a key refreshed in time stays.
func TestUnrefreshedPresenceExpires(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	// The server's minimum for both TTLs is one second. The live key gets
	// a longer TTL than its refresh period by far, so a test goroutine
	// stalled by a loaded machine does not let it lapse.
	const ttl, aliveTTL = time.Second, 3 * time.Second
	b, err := c.EnsureBucket(ctx, natsjs.BucketConfig{Name: "presence", KeyTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	expired := make(chan string, 10)
	w, err := b.Watch(ctx, func(e natsjs.Entry) {
		if e.Op == natsjs.OpExpire {
			expired <- e.Key
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	created := time.Now()
	if _, err := b.CreateTTL(ctx, "node-dead", []byte("alice"), ttl); err != nil {
		t.Fatal(err)
	}
	rev, err := b.CreateTTL(ctx, "node-alive", []byte("bob"), aliveTTL)
	if err != nil {
		t.Fatal(err)
	}

	// Keep node-alive fresh until node-dead has expired.
	var dead string
	refresh := time.NewTicker(ttl / 4)
	defer refresh.Stop()
	for dead == "" {
		select {
		case dead = <-expired:
		case <-refresh.C:
			if rev, err = b.RefreshTTL(ctx, "node-alive", []byte("bob"), rev, aliveTTL); err != nil {
				t.Fatalf("refresh: %v", err)
			}
		case <-ctx.Done():
			t.Fatal("node-dead never expired")
		}
	}
	if dead != "node-dead" {
		t.Fatalf("expired %q, want node-dead", dead)
	}
	if _, err := b.Get(ctx, "node-dead"); !errors.Is(err, natsjs.ErrNotFound) {
		t.Fatalf("get expired key: %v, want ErrNotFound", err)
	}
	if time.Since(created) < ttl {
		t.Fatalf("node-dead expired before its TTL")
	}
	if _, err := b.Get(ctx, "node-alive"); err != nil {
		t.Fatalf("refreshed key gone: %v", err)
	}
	// A stale refresh loses, like any compare-and-set.
	if _, err := b.RefreshTTL(ctx, "node-alive", []byte("bob"), rev-1, aliveTTL); !errors.Is(err, natsjs.ErrRevisionMismatch) {
		t.Fatalf("stale refresh: %v, want ErrRevisionMismatch", err)
	}
	// Once refreshing stops it expires too.
	select {
	case k := <-expired:
		if k != "node-alive" {
			t.Fatalf("expired %q, want node-alive", k)
		}
	case <-ctx.Done():
		t.Fatal("node-alive never expired after refreshing stopped")
	}
}

// Bans must keep propagating after NATS restarts: the watch resumes by
// itself and delivers what changed while it was away and after.
func TestWatchResumesAfterServerRestart(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	writer := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	b, err := c.EnsureBucket(ctx, natsjs.BucketConfig{Name: "bans", History: 8})
	if err != nil {
		t.Fatal(err)
	}
	wb, err := writer.EnsureBucket(ctx, natsjs.BucketConfig{Name: "bans", History: 8})
	if err != nil {
		t.Fatal(err)
	}
	entries := make(chan natsjs.Entry, 100)
	w, err := b.Watch(ctx, func(e natsjs.Entry) { entries <- e }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	next := func() natsjs.Entry {
		t.Helper()
		select {
		case e := <-entries:
			return e
		case <-time.After(waitTimeout):
			t.Fatal("no watch entry")
			return natsjs.Entry{}
		}
	}

	if _, err := wb.Put(ctx, "before", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Key != "before" {
		t.Fatalf("entry %+v", e)
	}
	srv.Restart()
	// Write until the writer is back; the watch must deliver the value.
	waitFor(t, "a write after the restart", func() bool {
		_, err := wb.Put(ctx, "after", []byte("2"))
		return err == nil
	})
	for {
		e := next()
		if e.Key == "after" && string(e.Value) == "2" {
			return
		}
		if e.Key != "before" {
			t.Fatalf("unexpected entry %+v", e)
		}
	}
}
