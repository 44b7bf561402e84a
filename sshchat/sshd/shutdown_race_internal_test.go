package sshd

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/metrics"
)

// TestShutdownRightAfterServeIsNoRace: Shutdown called while Serve is
// still starting must not overlap the library's Serve (it adds to a
// WaitGroup that the library's Shutdown waits on). Run with -race, which
// reported it in 3 of 3 runs of 300 rounds before Shutdown waited for
// Serve to return.
func TestShutdownRightAfterServeIsNoRace(t *testing.T) {
	for i := 0; i < 300; i++ {
		hub, err := chat.NewHub(chat.Config{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{
			HostKeyPath: filepath.Join(t.TempDir(), "keys", "host"),
			MaxStartups: DefaultMaxStartups,
			Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		}, hub, metrics.New(metrics.Sources{Chat: &chat.Metrics{}}))
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- s.Serve(ln) }()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("round %d: shutdown: %v", i, err)
		}
		cancel()
		if err := <-served; err != nil {
			t.Errorf("round %d: serve: %v", i, err)
		}
		hub.Close()
	}
}
