package natsjs_test

import (
	"testing"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
)

// Close owns what the connection started: consumers and watchers that the
// caller forgot to stop end with it (goleak in TestMain checks that no
// goroutine is left retrying on a closed connection).
func TestCloseStopsConsumersAndWatchers(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{})
	o := natsjs.Options{URLs: []string{srv.URL()}, Logger: quietLogger}
	c, err := natsjs.Connect(testContext(t), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.EnsureBucket(ctx, natsjs.BucketConfig{Name: "bans"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Consume(ctx, 1, func(natsjs.Delivery) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Watch(ctx, func(natsjs.Entry) {}, nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
}
