package natsjs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
)

// publishN publishes n lines numbered from first, retrying each (with the
// same id) while NATS is unavailable, so every line is acknowledged once.
func publishN(t *testing.T, s *natsjs.Stream, subject string, first, n int) {
	t.Helper()
	ctx := testContext(t)
	for i := first; i < first+n; i++ {
		for {
			_, err := s.Publish(ctx, subject, fmt.Appendf(nil, "line %d", i), fmt.Sprintf("id-%d", i))
			if err == nil {
				break
			}
			if !errors.Is(err, natsjs.ErrUnavailable) || ctx.Err() != nil {
				t.Fatalf("publish line %d: %v", i, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// checkInOrder checks that deliveries carry lines first..first+len-1 in
// stream order, each sequence once.
func checkInOrder(t *testing.T, got []natsjs.Delivery, first int) {
	t.Helper()
	for i, d := range got {
		want := fmt.Sprintf("line %d", first+i)
		if string(d.Payload) != want || d.Seq != uint64(first+i) || d.MsgID != fmt.Sprintf("id-%d", first+i) {
			t.Fatalf("delivery %d = seq %d %q id %q; want seq %d %q", i, d.Seq, d.Payload, d.MsgID, first+i, want)
		}
	}
}

// The ordered consumer delivers everything once, in order, across a restart
// of the NATS server (the connection drops and comes back).
func TestConsumeSurvivesServerRestart(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	room, _ := s.Subjects().Room("lobby")
	const n = 30

	rec := newRecorder(3 * n)
	cons, err := s.Consume(ctx, 1, rec.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Stop()

	publishN(t, s, room, 1, n)
	checkInOrder(t, rec.take(t, n), 1)

	srv.Restart()
	publishN(t, s, room, n+1, n)
	checkInOrder(t, rec.take(t, n), n+1)

	// Nothing more comes: no repeats after the restart.
	select {
	case d := <-rec.ch:
		t.Fatalf("extra delivery after the last line: seq %d %q", d.Seq, d.Payload)
	case <-time.After(200 * time.Millisecond):
	}
}

// A node that restarts resumes from the sequence after the last it applied.
func TestConsumeFromSequence(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	room, _ := s.Subjects().Room("lobby")
	publishN(t, s, room, 1, 20)

	rec := newRecorder(20)
	cons, err := s.Consume(ctx, 11, rec.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Stop()
	checkInOrder(t, rec.take(t, 10), 11)
}

// Stop returns only after the handler has returned for the last time, and
// is safe to call twice; goleak (TestMain) checks that nothing is left.
func TestConsumerStopsCleanly(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	room, _ := s.Subjects().Room("lobby")
	publishN(t, s, room, 1, 5)

	inHandler := make(chan struct{})
	release := make(chan struct{})
	returned := make(chan struct{})
	cons, err := s.Consume(ctx, 1, func(d natsjs.Delivery) {
		if d.Seq == 1 {
			close(inHandler)
			<-release
			close(returned)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	<-inHandler
	stopped := make(chan struct{})
	go func() {
		cons.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("Stop returned while the handler was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-stopped:
	case <-time.After(waitTimeout):
		t.Fatal("Stop did not return")
	}
	select {
	case <-returned:
	default:
		t.Fatal("Stop returned before the handler")
	}
	cons.Stop()
}

// While NATS is away the node is told, a publish fails at once with
// ErrUnavailable (nothing is queued to appear later), and when NATS is
// back the node is told again and publishing works.
func TestPublishRefusedWhileNATSIsAway(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	disconnected := make(chan error, 10)
	reconnected := make(chan string, 10)
	closed := make(chan struct{}, 1)
	c := connect(t, natsjs.Options{
		Name:           "sshchat test",
		OnDisconnected: func(err error) { disconnected <- err },
		OnReconnected:  func(url string) { reconnected <- url },
		OnClosed:       func() { closed <- struct{}{} },
	}, srv.URL())
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	room, _ := s.Subjects().Room("lobby")

	srv.Shutdown()
	select {
	case <-disconnected:
	case <-time.After(waitTimeout):
		t.Fatal("no disconnect callback")
	}
	if c.Connected() {
		t.Fatal("Connected() after the server stopped")
	}
	pubCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = s.Publish(pubCtx, room, []byte("into the void"), "void-1")
	cancel()
	if !errors.Is(err, natsjs.ErrUnavailable) {
		t.Fatalf("publish while away: %v, want ErrUnavailable", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("publish while away waited for its deadline instead of failing at once: %v", err)
	}

	srv.Start()
	select {
	case url := <-reconnected:
		if url != srv.URL() {
			t.Errorf("reconnected to %q, want %q", url, srv.URL())
		}
	case <-time.After(waitTimeout):
		t.Fatal("no reconnect callback")
	}
	ack, err := s.Publish(ctx, room, []byte("back"), "back-1")
	if err != nil || ack.Seq != 1 {
		t.Fatalf("publish after reconnect: %+v, %v; want seq 1 (the refused line was not stored)", ack, err)
	}
	c.Close()
	select {
	case <-closed:
	default:
		t.Fatal("Close returned before the closed callback ran")
	}
}
