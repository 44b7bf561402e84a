package natsjs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
)

func TestEnsureStreamIsIdempotent(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)

	cfg := natsjs.StreamConfig{Duplicates: time.Minute, MaxAge: time.Hour, MaxBytes: 1 << 20}
	s1, err := c.EnsureStream(ctx, cfg)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	room, _ := s1.Subjects().Room("lobby")
	if _, err := s1.Publish(ctx, room, []byte("one"), "m1"); err != nil {
		t.Fatal(err)
	}
	// A second node starting with the same config changes nothing; one with
	// new limits updates them in place, keeping what is stored.
	if _, err := c.EnsureStream(ctx, cfg); err != nil {
		t.Fatalf("ensure again: %v", err)
	}
	cfg.MaxAge = 2 * time.Hour
	s2, err := c.EnsureStream(ctx, cfg)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	info, err := c.JetStream().Stream(ctx, s2.Name())
	if err != nil {
		t.Fatal(err)
	}
	got := info.CachedInfo().Config
	if got.MaxAge != 2*time.Hour || got.Duplicates != time.Minute || got.MaxBytes != 1<<20 || got.Storage.String() != "File" {
		t.Fatalf("config after update: max age %v, duplicates %v, max bytes %d, storage %v", got.MaxAge, got.Duplicates, got.MaxBytes, got.Storage)
	}
	if st, err := s2.State(ctx); err != nil || st.Msgs != 1 || st.Replicas != 1 {
		t.Fatalf("state after update: %+v, %v; want the one message kept", st, err)
	}
}

// A short MaxAge cuts the default duplicate window (the server refuses a
// window longer than MaxAge).
func TestShortMaxAgeCutsDuplicateWindow(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{MaxAge: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.JetStream().Stream(ctx, s.Name())
	if err != nil {
		t.Fatal(err)
	}
	if got := info.CachedInfo().Config.Duplicates; got != 30*time.Second {
		t.Fatalf("duplicate window %v, want 30s", got)
	}
}

// A publish retried with the same id (the ack was lost, the node timed
// out) is stored once, and the retry's ack says so and names the first
// copy's sequence.
func TestRetriedPublishIsStoredOnce(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	room, _ := s.Subjects().Room("lobby")

	first, err := s.Publish(ctx, room, []byte("hello"), "node-a-1")
	if err != nil || first.Duplicate || first.Seq != 1 {
		t.Fatalf("first publish: %+v, %v", first, err)
	}
	for range 3 {
		again, err := s.Publish(ctx, room, []byte("hello"), "node-a-1")
		if err != nil || !again.Duplicate || again.Seq != first.Seq {
			t.Fatalf("retry: %+v, %v; want duplicate of seq %d", again, err, first.Seq)
		}
	}
	// A batch that repeats ids is deduplicated the same way.
	acks, err := s.PublishBatch(ctx, []natsjs.Message{
		{Subject: room, Payload: []byte("two"), MsgID: "node-a-2"},
		{Subject: room, Payload: []byte("hello"), MsgID: "node-a-1"},
		{Subject: room, Payload: []byte("two"), MsgID: "node-a-2"},
	})
	if err != nil || len(acks) != 3 || acks[0].Duplicate || !acks[1].Duplicate || !acks[2].Duplicate || acks[2].Seq != acks[0].Seq {
		t.Fatalf("batch acks %+v, %v", acks, err)
	}
	if st, err := s.State(ctx); err != nil || st.Msgs != 2 || st.LastSeq != 2 {
		t.Fatalf("state %+v, %v; want 2 messages", st, err)
	}
}

func TestPublishBatchKeepsOrder(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	room, _ := s.Subjects().Room("lobby")
	msgs := make([]natsjs.Message, 100)
	for i := range msgs {
		msgs[i] = natsjs.Message{Subject: room, Payload: fmt.Appendf(nil, "line %d", i), MsgID: fmt.Sprintf("b-%d", i)}
	}
	acks, err := s.PublishBatch(ctx, msgs)
	if err != nil || len(acks) != len(msgs) {
		t.Fatalf("batch: %d acks, %v", len(acks), err)
	}
	for i, a := range acks {
		if a.Seq != uint64(i+1) || a.Duplicate {
			t.Fatalf("ack %d = %+v, want seq %d", i, a, i+1)
		}
	}
}

// A message larger than the stream allows is refused, not stored.
func TestOversizedPublishIsRefused(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	c := connect(t, natsjs.Options{}, srv.URL())
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{MaxMsgSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	room, _ := s.Subjects().Room("lobby")
	if _, err := s.Publish(ctx, room, make([]byte, 2048), "big"); err == nil {
		t.Fatal("a 2 KiB message was stored in a stream with a 1 KiB limit")
	}
	if st, err := s.State(ctx); err != nil || st.Msgs != 0 {
		t.Fatalf("state %+v, %v; want nothing stored", st, err)
	}
}
