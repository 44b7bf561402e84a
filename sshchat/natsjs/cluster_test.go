package natsjs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
)

// publishRetrying publishes lines first..first+n-1, retrying each with the
// same id until it is acknowledged (as a node does while NATS fails over).
// Before line i it waits until allowed(i) holds, which paces the flood.
func publishRetrying(ctx context.Context, s *natsjs.Stream, subject string, first, n int, allowed func(int) bool) error {
	for i := first; i < first+n; i++ {
		for !allowed(i) {
			if ctx.Err() != nil {
				return fmt.Errorf("line %d: never allowed: %w", i, ctx.Err())
			}
			time.Sleep(time.Millisecond)
		}
		for {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := s.Publish(pctx, subject, fmt.Appendf(nil, "line %d", i), fmt.Sprintf("id-%d", i))
			cancel()
			if err == nil {
				break
			}
			if !errors.Is(err, natsjs.ErrUnavailable) {
				return fmt.Errorf("line %d: %w", i, err)
			}
			if ctx.Err() != nil {
				return fmt.Errorf("line %d: gave up: %w", i, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// Three servers, three replicas: stopping the stream's leader in the middle
// of a flood loses nothing that was acknowledged, stores nothing twice
// (retries carry the same ids), and the ordered consumer delivers every
// line once, in order, across the fail-over.
func TestR3StreamSurvivesLeaderLossMidFlood(t *testing.T) {
	cluster := natsjstest.RunCluster(t, 3, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, cluster.URLs()...)
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	room, _ := s.Subjects().Room("lobby")
	const n = 60

	rec := newRecorder(n)
	var delivered atomic.Int64
	// The handler holds the consumer after n/3 lines until the leader is
	// stopped, so the flood (paced by the consumer) is surely mid-way.
	leaderStopped := make(chan struct{})
	cons, err := s.Consume(ctx, 1, func(d natsjs.Delivery) {
		if delivered.Add(1) > n/3 {
			<-leaderStopped
		}
		rec.handle(d)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Stop()
	releaseHandler := sync.OnceFunc(func() { close(leaderStopped) })
	defer releaseHandler() // before cons.Stop, which waits for the handler

	// The publisher stays at most `window` lines ahead of the consumer.
	const window = 5
	published := make(chan error, 1)
	go func() {
		published <- publishRetrying(ctx, s, room, 1, n, func(i int) bool { return int64(i) <= delivered.Load()+window })
	}()

	got := rec.take(t, n/3)
	st, err := s.State(ctx)
	if err != nil || st.Replicas != 3 || st.Leader == "" {
		t.Fatalf("stream state %+v, %v; want three replicas and a leader", st, err)
	}
	stopped := 0
	for _, srv := range cluster.Servers {
		if srv.NATS().Name() == st.Leader {
			srv.Shutdown()
			stopped++
		}
	}
	releaseHandler()
	if stopped != 1 {
		t.Fatalf("stream leader %q is none of the servers", st.Leader)
	}

	// First every line must be acknowledged, then delivered.
	stoppedAt := time.Now()
	select {
	case err := <-published:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("publishing did not finish within %v after the leader stopped", waitTimeout)
	}
	t.Logf("all lines acknowledged %v after the leader stopped", time.Since(stoppedAt))
	got = append(got, rec.take(t, n-len(got))...)
	t.Logf("all lines delivered %v after the leader stopped", time.Since(stoppedAt))
	checkInOrder(t, got, 1)
	// An API request lost in the election is not answered; like a node,
	// ask again with a short timeout until a new leader answers.
	var final natsjs.StreamState
	waitFor(t, "a new stream leader to report the stream", func() bool {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		final, err = s.State(qctx)
		return err == nil && final.Leader != "" && final.Leader != st.Leader
	})
	if final.Msgs != n || final.LastSeq != n {
		t.Fatalf("stream state %+v; want exactly %d messages", final, n)
	}
}

// The nick claim race on replicated buckets, where the server reports a
// lost compare-and-set with another error code than on one server.
func TestR3NickClaimRaceHasOneWinner(t *testing.T) {
	cluster := natsjstest.RunCluster(t, 3, natsjstest.Options{})
	ctx := testContext(t)
	var buckets []*natsjs.Bucket
	for i := range 2 {
		// Each "node" talks to a different server first.
		urls := cluster.URLs()
		c := connect(t, natsjs.Options{}, urls[i], urls[2])
		b, err := c.EnsureBucket(ctx, natsjs.BucketConfig{Name: "nicks", Replicas: 3})
		if err != nil {
			t.Fatal(err)
		}
		buckets = append(buckets, b)
	}
	raceCreate(t, buckets, 2, 30)
}
