package sshd

import (
	"log/slog"
	"time"
)

// Config is what the SSH side needs. sshchat.Config fills in the defaults
// before it builds one; the zero value of a field is not a default here.
type Config struct {
	// Addr is the TCP address ListenAndServe listens on.
	Addr string
	// HostKeyPath is the ed25519 host key, generated there on first start.
	HostKeyPath string
	// Version is the server's version, shown in the SSH banner.
	Version string
	// MaxConns and MaxConnsPerIP cap established connections in total and
	// per address; negative means no cap.
	MaxConns      int
	MaxConnsPerIP int
	// MaxStartups bounds connections that have not authenticated yet, as
	// "start:rate:full" ("off": no cap): see startupPolicy.
	MaxStartups string
	// NewConnsPerIP caps new connections per address per minute; negative
	// means no cap.
	NewConnsPerIP int
	// HandshakeTimeout bounds the SSH handshake, authentication and the
	// opening of the first session.
	HandshakeTimeout time.Duration
	// StuckTimeout is how long a write to a client may block before the
	// client is disconnected.
	StuckTimeout time.Duration
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
}

// ConnsOpen is how many connections the server holds, in their handshake
// or established (a metrics gauge).
func (s *Server) ConnsOpen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// ShuttingDown reports whether Shutdown or Close was called.
func (s *Server) ShuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shuttingDown
}
