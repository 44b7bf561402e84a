package sshchattest

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
)

// Server is a running in-process sshchat server.
type Server struct {
	*sshchat.Server
	Addr string
	Logs *LogBuffer
	Cfg  sshchat.Config
	// OpsURL is where the server's /metrics, /healthz and /readyz are
	// served, e.g. "http://127.0.0.1:41234".
	OpsURL string

	served    chan error
	opsServed chan error
	once      sync.Once
}

// Start runs a server on 127.0.0.1:0 with its host key in a temporary
// folder, and stops it when the test ends. Fields of cfg that are zero get
// the server's defaults, except the connection caps and the hourly caps on
// creating rooms and claiming nicks, which are lifted (every test client
// comes from one address), and pacing and the history budget, which are
// off.
func Start(t testing.TB, cfg sshchat.Config) *Server {
	t.Helper()
	dir := t.TempDir()
	if cfg.HostKeyPath == "" {
		cfg.HostKeyPath = filepath.Join(dir, "keys", "ssh_host_ed25519")
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(dir, "data")
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = -1
	}
	if cfg.MaxConnsPerIP == 0 {
		cfg.MaxConnsPerIP = -1
	}
	if cfg.NewConnsPerIP == 0 {
		cfg.NewConnsPerIP = -1
	}
	if cfg.Rate == 0 {
		cfg.Rate = -1 // tests that flood say so; pacing tests set a rate
	}
	if cfg.RoomsPerHour == 0 {
		cfg.RoomsPerHour = -1
	}
	if cfg.NickClaimsPerHour == 0 {
		cfg.NickClaimsPerHour = -1
	}
	if cfg.HistoryBurst == 0 {
		cfg.HistoryBurst = -1 // likewise for the budget of searches
	}
	logs := &LogBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := sshchat.New(cfg)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	opsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &Server{Server: srv, Addr: ln.Addr().String(), Logs: logs, Cfg: cfg, served: make(chan error, 1),
		OpsURL: "http://" + opsLn.Addr().String(), opsServed: make(chan error, 1)}
	go func() { s.served <- srv.Serve(ln) }()
	go func() { s.opsServed <- srv.ServeOps(opsLn) }()
	t.Cleanup(func() {
		s.Stop(t)
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return s
}

// Stop shuts the server down gracefully (bounded by 10 s) and waits for
// Serve to return. It is safe to call more than once.
func (s *Server) Stop(t testing.TB) {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-s.served; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := <-s.opsServed; err != nil {
			t.Errorf("serve ops: %v", err)
		}
	})
}

// LogBuffer collects the server's log lines for assertions and for the
// failure report.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
