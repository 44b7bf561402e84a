package sshchat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/metrics"
)

// The operator's HTTP listener (--metrics): Prometheus /metrics, /healthz,
// /readyz and optionally pprof. It is never the chat port, and it is meant
// to be private (loopback or an internal network).

// newMetrics makes the server's metrics before anything that counts into
// them exists; the gauges read the hub and the store only when scraped.
func (s *Server) newMetrics() {
	s.chatMetrics = &chat.Metrics{}
	s.metrics = metrics.New(metrics.Sources{
		Version:     s.cfg.Version,
		Commit:      s.cfg.Commit,
		Chat:        s.chatMetrics,
		ConnsOpen:   func() int { return s.ssh.ConnsOpen() },
		Rooms:       func() int { return s.hub.Rooms() },
		Online:      func() int { return s.hub.Online() },
		QueuedBytes: func() int64 { return s.hub.QueuedBytes() },
		KnownKeys:   s.knownKeys,
	})
}

// knownKeys counts the keys the store knows, where the engine can tell.
func (s *Server) knownKeys(ctx context.Context) (int, error) {
	if c, ok := s.store.(interface {
		KnownKeys(context.Context) (int, error)
	}); ok {
		return c.KnownKeys(ctx)
	}
	return 0, nil
}

// Ready reports nil when the server can do its work: it is not shutting
// down and its store takes writes.
func (s *Server) Ready(ctx context.Context) error {
	s.mu.Lock()
	down := s.shuttingDown
	s.mu.Unlock()
	if down {
		return errors.New("shutting down")
	}
	if p, ok := s.store.(interface{ CheckWritable(context.Context) error }); ok {
		return p.CheckWritable(ctx)
	}
	return nil
}

// OpsHandler serves /metrics, /healthz, /readyz and, with Config.Pprof,
// /debug/pprof/: for a program that embeds the server and serves them on
// its own listener.
func (s *Server) OpsHandler() http.Handler {
	return metrics.Handler(s.metrics, metrics.HandlerOptions{Ready: s.Ready, Pprof: s.cfg.Pprof, Logger: s.log})
}

// ServeOps serves OpsHandler on ln until Close, when it returns nil.
func (s *Server) ServeOps(ln net.Listener) error {
	hs := &http.Server{
		Handler: s.OpsHandler(),
		// Bounded like any listener, even a private one: slow or idle
		// clients cannot hold connections for ever.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second, // a CPU profile takes 30 s by default
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    8 << 10,
	}
	s.mu.Lock()
	if s.shuttingDown {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.ops[hs] = struct{}{}
	s.mu.Unlock()
	s.log.Info("serving metrics and health checks", "addr", ln.Addr().String(), "pprof", s.cfg.Pprof)
	err := hs.Serve(newLimitListener(ln, maxOpsConns))
	s.mu.Lock()
	delete(s.ops, hs)
	s.mu.Unlock()
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("serve metrics: %w", err)
}

// closeOps stops the operator's HTTP servers.
func (s *Server) closeOps() {
	s.mu.Lock()
	servers := make([]*http.Server, 0, len(s.ops))
	for hs := range s.ops {
		servers = append(servers, hs)
	}
	s.mu.Unlock()
	for _, hs := range servers {
		hs.Close()
	}
}

// listenOps opens the --metrics listener, if one is configured, and serves
// it in a goroutine; stop closes it and waits for that goroutine.
func (s *Server) listenOps() (stop func(), err error) {
	if s.cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w", s.cfg.MetricsAddr, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer s.recoverPanic("metrics listener")
		if err := s.ServeOps(ln); err != nil {
			s.log.Error("metrics listener", "err", err)
		}
	}()
	return func() {
		s.closeOps()
		ln.Close() // in case ServeOps had not registered yet
		<-done
	}, nil
}
