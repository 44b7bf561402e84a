package sshchat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/metrics"
	"github.com/sshchat/sshchat/sshchat/sshd"
	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
)

// Server is a chat server reachable over SSH: a chat hub on a store, the
// SSH server in front of it, and the operator's HTTP listener.
type Server struct {
	cfg         Config
	log         *slog.Logger
	store       store.Store // the engine the server opened or was given
	ownsStore   bool        // whether Close closes store
	hub         *chat.Hub
	ssh         *sshd.Server
	chatMetrics *chat.Metrics
	metrics     *metrics.Metrics

	// closeCluster, set when NATS is configured, closes the bus, the
	// store and the NATS connection (instead of store.Close).
	closeCluster func() error

	// mu guards the two fields below. A leaf like sshd.Server.mu: no other
	// lock is taken under it; HTTP servers are closed after releasing it.
	mu           sync.Mutex
	ops          map[*http.Server]struct{} // the --metrics listener's servers
	shuttingDown bool

	closeOnce sync.Once
	closeErr  error
}

// New prepares a server: it opens the store (Config.Store, or the SQLite
// database in Config.DataDir), loads the chat, loads or creates the host
// key and sets up the SSH server, but does not listen yet.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, ops: make(map[*http.Server]struct{})}
	s.newMetrics()
	if err := s.openStore(); err != nil {
		return nil, err
	}
	chatStore := s.store
	if cfg.WrapStore != nil {
		chatStore = cfg.WrapStore(s.store)
	}
	var err error
	s.hub, err = chat.NewHub(chat.Config{
		Store:       chatStore,
		Bus:         s.cfg.Bus, // openStore sets it for NATS
		DefaultRoom: cfg.DefaultRoom,
		Scrollback:  cfg.Scrollback,
		Retention:   cfg.Retention,
		OutboxBytes: cfg.OutboxBytes,
		MaxLine:     cfg.MaxLine,
		MOTD:        cfg.MOTD,
		Logger:      cfg.Logger,
		Now:         cfg.Now,
		Pacing:      chat.Pacing{Rate: cfg.Rate, Burst: cfg.Burst},
		Metrics:     s.chatMetrics,

		RoomsPerHour:      cfg.RoomsPerHour,
		MaxRooms:          cfg.MaxRooms,
		NickExpiry:        cfg.NickExpiry,
		NickClaimsPerHour: cfg.NickClaimsPerHour,
		HistoryBurst:      cfg.HistoryBurst,
	})
	if err != nil {
		s.closeStore()
		return nil, err
	}
	if err := s.Reload(); err != nil {
		s.hub.Close()
		s.closeStore()
		return nil, err
	}
	s.ssh, err = sshd.New(sshd.Config{
		Addr:             cfg.Addr,
		HostKeyPath:      cfg.HostKeyPath,
		Version:          cfg.Version,
		MaxConns:         cfg.MaxConns,
		MaxConnsPerIP:    cfg.MaxConnsPerIP,
		MaxStartups:      cfg.MaxStartups,
		NewConnsPerIP:    cfg.NewConnsPerIP,
		HandshakeTimeout: cfg.HandshakeTimeout,
		StuckTimeout:     cfg.StuckTimeout,
		Logger:           cfg.Logger,
	}, s.hub, s.metrics)
	if err != nil {
		s.hub.Close()
		s.closeStore()
		return nil, err
	}
	return s, nil
}

// openStore takes Config.Store, or opens the embedded SQLite database.
func (s *Server) openStore() error {
	if s.cfg.NATS.URL != "" {
		if s.cfg.Store != nil {
			return errNATSWithStore
		}
		return s.openCluster()
	}
	if s.cfg.Store != nil {
		s.store = s.cfg.Store
		return nil
	}
	dbPath := filepath.Join(s.cfg.DataDir, "sshchat.db")
	db, err := sqlite.Open(dbPath, sqlite.Options{Logger: s.cfg.Logger, OnCommit: s.metrics.StoreCommitted})
	if err != nil {
		return err
	}
	s.store, s.ownsStore = db, true
	s.log.Info("opened store", "path", dbPath)
	return nil
}

func (s *Server) closeStore() error {
	if !s.ownsStore {
		return nil
	}
	if s.closeCluster != nil {
		return s.closeCluster()
	}
	return s.store.Close()
}

// HostKeyFingerprint is the SHA256 fingerprint people can check their
// client's host key prompt against.
func (s *Server) HostKeyFingerprint() string { return s.ssh.HostKeyFingerprint() }

// Hub is the chat the server carries.
func (s *Server) Hub() *chat.Hub { return s.hub }

// ListenAndServe listens on the configured address (and the metrics
// address, if any) and serves until Shutdown or Close.
func (s *Server) ListenAndServe() error {
	stopOps, err := s.listenOps()
	if err != nil {
		return err
	}
	defer stopOps()
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ln)
}

// Serve accepts SSH connections on ln until Shutdown or Close, when it
// returns nil; any other return is an error.
func (s *Server) Serve(ln net.Listener) error { return s.ssh.Serve(ln) }

// Shutdown stops accepting connections, tells everyone the server is going
// down, ends every session (clients exit with status 0), waits for the
// connections to close, then closes the chat and the store. When ctx ends
// first, the remaining connections are closed hard and ctx's error is
// returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.markShuttingDown()
	err := s.ssh.Shutdown(ctx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close closes the listeners and every connection at once, then the chat
// and the store.
func (s *Server) Close() error {
	s.markShuttingDown()
	s.closeOps()
	err := s.ssh.Close()
	s.closeOnce.Do(func() {
		s.hub.Close()
		s.closeErr = s.closeStore()
	})
	return errors.Join(err, s.closeErr)
}

func (s *Server) markShuttingDown() {
	s.mu.Lock()
	s.shuttingDown = true
	s.mu.Unlock()
}

// recoverPanic is deferred at the top of every goroutine this package
// starts.
func (s *Server) recoverPanic(where string) {
	if r := recover(); r != nil {
		s.log.Error("panic recovered", "where", where, "panic", fmt.Sprint(r))
	}
}

// SetSearchHook makes every search of the SQLite store run fn once it
// holds a search connection, before its query (nil: no hook), so that
// tests can hold searches there. A no-op on other stores.
func (s *Server) SetSearchHook(fn func(ctx context.Context)) {
	if h, ok := s.store.(interface {
		SetSearchHook(func(ctx context.Context))
	}); ok {
		h.SetSearchHook(fn)
	}
}
