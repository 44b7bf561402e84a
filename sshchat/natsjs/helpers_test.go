package natsjs_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
)

// waitTimeout is generous: the machine is shared, and what normally takes
// milliseconds can take seconds under load.
const waitTimeout = 30 * time.Second

// quietLogger keeps expected connection warnings out of test output;
// NATSJS_TEST_CLIENT_LOG=1 shows them (at debug level) instead.
var quietLogger = func() *slog.Logger {
	if os.Getenv("NATSJS_TEST_CLIENT_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}()

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// connect dials urls with short reconnect waits and closes the connection
// when the test ends.
func connect(t *testing.T, o natsjs.Options, urls ...string) *natsjs.Conn {
	t.Helper()
	o.URLs = urls
	if o.Logger == nil {
		o.Logger = quietLogger
	}
	if o.ReconnectWait == 0 {
		o.ReconnectWait = 20 * time.Millisecond
		o.MaxReconnectWait = 200 * time.Millisecond
	}
	c, err := natsjs.Connect(testContext(t), o)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recorder collects deliveries from a consumer's goroutine.
type recorder struct {
	ch chan natsjs.Delivery
}

func newRecorder(n int) *recorder { return &recorder{ch: make(chan natsjs.Delivery, n)} }

func (r *recorder) handle(d natsjs.Delivery) { r.ch <- d }

// take waits for n more deliveries.
func (r *recorder) take(t *testing.T, n int) []natsjs.Delivery {
	t.Helper()
	out := make([]natsjs.Delivery, 0, n)
	timeout := time.After(waitTimeout)
	for len(out) < n {
		select {
		case d := <-r.ch:
			out = append(out, d)
		case <-timeout:
			t.Fatalf("got %d of %d deliveries within %v", len(out), n, waitTimeout)
		}
	}
	return out
}
