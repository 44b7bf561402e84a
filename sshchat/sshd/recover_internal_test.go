package sshd

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/metrics"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPanicsInServerGoroutinesAreRecoveredAndLogged(t *testing.T) {
	logs := &syncBuffer{}
	hub, err := chat.NewHub(chat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	s, err := New(Config{
		HostKeyPath: filepath.Join(t.TempDir(), "keys", "host"),
		MaxStartups: DefaultMaxStartups,
		Logger:      slog.New(slog.NewTextHandler(logs, nil)),
	}, hub, metrics.New(metrics.Sources{Chat: &chat.Metrics{}}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.goBackground("test worker", func() { panic("boom") })
	s.bg.Wait()

	handler := s.sessionMiddleware(nil)
	handler(nil) // a nil session makes handleSession panic at once

	if ok := s.guestAuth(nil, nil); ok {
		t.Fatal("a panicking keyboard-interactive exchange was accepted")
	}
	for _, where := range []string{`"test worker"`, "session", `"auth keyboard-interactive"`} {
		if !strings.Contains(logs.String(), `msg="panic recovered" where=`+where) {
			t.Errorf("panic in %s not logged:\n%s", where, logs.String())
		}
	}
}
