package sshd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/metrics"
)

// connLinger is how long Shutdown lets clients close their connections
// themselves after their sessions ended.
const connLinger = time.Second

// Server is the SSH front of a chat hub: it accepts connections, admits
// them, and runs one session per channel against the hub.
type Server struct {
	cfg     Config
	log     *slog.Logger
	hub     *chat.Hub
	ssh     *ssh.Server
	limiter *connLimiter
	hostKey gossh.Signer
	// Counted into by the hot paths, exported by the --metrics listener.
	metrics *metrics.Metrics

	// refusals logs connections refused before the handshake, sampled.
	refusals *sampledLog

	// mu guards the four fields below (and orders serving.Add before shuttingDown). It is a leaf, outside the chat's
	// lock tiers: no chat lock is taken under it and it is taken under
	// none; listeners and connections are closed after releasing it.
	mu           sync.Mutex
	listeners    map[net.Listener]struct{}
	conns        map[*guardedConn]struct{}
	sessions     map[*session]struct{}
	shuttingDown bool
	sessionsWG   sync.WaitGroup
	// serving counts Serve calls inside the library's Serve. Added to
	// under mu before shuttingDown is set, so Wait is safe after it: the
	// library's Shutdown waits on a WaitGroup its Serve adds to, and the
	// two must not overlap (the race detector caught it).
	serving sync.WaitGroup

	watchdogOnce sync.Once
	stop         chan struct{}
	stopOnce     sync.Once
	bg           sync.WaitGroup
}

// New prepares the SSH server of hub: it loads or creates the host key
// and configures wish, but does not listen yet. cfg must have its defaults
// filled in (sshchat.Config does that); m receives the connection and
// session counts. The caller owns hub: Close does not close it.
func New(cfg Config, hub *chat.Hub, m *metrics.Metrics) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	startups, err := parseStartups(cfg.MaxStartups)
	if err != nil {
		return nil, err
	}
	signer, created, err := loadOrCreateHostKey(cfg.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		hub:       hub,
		metrics:   m,
		limiter:   newConnLimiter(cfg.MaxConns, cfg.MaxConnsPerIP, cfg.NewConnsPerIP, startups),
		refusals:  newSampledLog(),
		hostKey:   signer,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*guardedConn]struct{}),
		sessions:  make(map[*session]struct{}),
		stop:      make(chan struct{}),
	}
	if err := writePublicHostKey(cfg.HostKeyPath, signer); err != nil {
		s.log.Warn("the public host key file could not be written; the fingerprint is logged below", "err", err)
	}
	if created {
		s.log.Info("generated host key", "path", cfg.HostKeyPath)
	} else if warning := hostKeyExposure(cfg.HostKeyPath); warning != "" {
		s.log.Warn(warning)
	}

	s.ssh, err = wish.NewServer(
		wish.WithAddress(cfg.Addr),
		wish.WithVersion("sshchat_"+cfg.Version),
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithPublicKeyAuth(s.publicKeyAuth),
		wish.WithKeyboardInteractiveAuth(s.guestAuth),
		ssh.WrapConn(s.acceptConn),
		func(srv *ssh.Server) error {
			srv.PtyHandler = s.ptyRequest
			srv.ConnectionFailedCallback = s.handshakeFailed
			s.guardProtocol(srv)
			return nil
		},
		wish.WithMiddleware(s.sessionMiddleware),
	)
	if err != nil {
		return nil, fmt.Errorf("configure ssh server: %w", err)
	}
	return s, nil
}

// HostKeyFingerprint is the SHA256 fingerprint people can check their
// client's host key prompt against.
func (s *Server) HostKeyFingerprint() string {
	return gossh.FingerprintSHA256(s.hostKey.PublicKey())
}

// Serve accepts connections on ln until Shutdown or Close, when it returns
// nil; any other return is an error.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shuttingDown {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners[ln] = struct{}{}
	s.serving.Add(1)
	s.mu.Unlock()
	s.watchdogOnce.Do(func() { s.goBackground("watchdog", s.watchdog) })

	s.log.Info("listening", "addr", ln.Addr().String(), "host_key", s.HostKeyFingerprint())
	err := s.ssh.Serve(ln)
	s.serving.Done()
	s.mu.Lock()
	done := s.shuttingDown
	delete(s.listeners, ln)
	s.mu.Unlock()
	if done || errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve ssh: %w", err)
}

// Shutdown stops accepting connections, tells everyone the server is going
// down, ends every session (clients exit with status 0) and waits for the
// connections to close. When ctx ends first, the remaining connections are
// closed hard and ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shuttingDown = true
	listeners := s.listenerListLocked()
	s.mu.Unlock()
	for _, ln := range listeners {
		ln.Close()
	}

	s.hub.Shutdown("The server is shutting down. Goodbye!")

	sessionsDone := make(chan struct{})
	go func() {
		defer close(sessionsDone)
		defer s.recoverPanic("shutdown wait")
		s.sessionsWG.Wait()
	}()
	var err error
	select {
	case <-sessionsDone:
		// Sessions ended with exit-status 0. OpenSSH closes its connection
		// then; connections still open after a short linger carry no
		// session and are closed below.
		linger, cancel := context.WithTimeout(ctx, connLinger)
		s.serving.Wait() // the listeners are closed: each Serve returns at once
		_ = s.ssh.Shutdown(linger)
		cancel()
		err = ctx.Err()
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		s.log.Warn("shutdown deadline passed; closing connections", "err", err)
	}
	s.Close()
	<-sessionsDone
	return err
}

// Close closes the listeners and every connection at once, and stops the
// server's background goroutines. The hub stays open: its owner closes it.
func (s *Server) Close() error {
	s.mu.Lock()
	s.shuttingDown = true
	listeners := s.listenerListLocked()
	conns := make([]*guardedConn, 0, len(s.conns))
	for g := range s.conns {
		conns = append(conns, g)
	}
	s.mu.Unlock()
	for _, ln := range listeners {
		ln.Close()
	}
	err := s.ssh.Close()
	// The library closes the connections it tracks; these include the ones
	// still in their handshake, which it does not.
	for _, g := range conns {
		g.Close()
	}
	s.stopOnce.Do(func() {
		close(s.stop)
		s.bg.Wait()
	})
	return err
}

func (s *Server) listenerListLocked() []net.Listener {
	lns := make([]net.Listener, 0, len(s.listeners))
	for ln := range s.listeners {
		lns = append(lns, ln)
	}
	return lns
}

// goBackground runs fn in a goroutine owned by the server: Close stops it
// (fn must return when s.stop closes) and waits for it.
func (s *Server) goBackground(name string, fn func()) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.recoverPanic(name)
		fn()
	}()
}

// recoverPanic is deferred at the top of every goroutine the server starts:
// a panic in one session must not take down the others.
func (s *Server) recoverPanic(where string) {
	if r := recover(); r != nil {
		s.log.Error("panic recovered", "where", where, "panic", fmt.Sprint(r), "stack", stack())
	}
}

func (s *Server) acceptConn(ctx ssh.Context, conn net.Conn) (out net.Conn) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic recovered", "where", "accept", "panic", fmt.Sprint(r), "stack", stack())
			out = nil
		}
	}()
	ip := limiterKey(remoteIP(conn.RemoteAddr()))
	g := &guardedConn{Conn: conn, ip: ip}
	// Address bans, the server being full and an address over its cap are
	// refused in authentication, not here: OpenSSH shows nothing of what a
	// server writes before its version line, and there the refusal can say
	// why. Here only what must cost no SSH work: an address with twice its
	// cap of connections, or opening them too fast.
	slot := &connSlot{ip: ip, drop: func() { g.Close() }, received: &g.received}
	g.slot = slot
	g.onClose = func() {
		s.limiter.release(slot)
		s.mu.Lock()
		delete(s.conns, g)
		s.mu.Unlock()
	}
	evicted, why := s.limiter.acquire(slot, time.Now())
	if why != "" {
		s.metrics.ConnRefused(refusalReason(why))
		s.refusals.log(s.log, slog.LevelWarn, "connection refused", "addr", conn.RemoteAddr().String(), "reason", why)
		refuse(conn, why)
		return nil
	}
	if evicted != nil {
		s.log.Debug("unauthenticated connection dropped to make room", "max_startups", s.cfg.MaxStartups)
		evicted.drop()
	}
	s.mu.Lock()
	if s.shuttingDown {
		s.mu.Unlock()
		s.limiter.release(slot)
		s.metrics.ConnRefused("shutting_down")
		return nil
	}
	s.conns[g] = struct{}{}
	s.mu.Unlock()
	if g.isClosed() {
		// Dropped by another connection's arrival before it was tracked.
		s.mu.Lock()
		delete(s.conns, g)
		s.mu.Unlock()
		return nil
	}
	s.metrics.ConnAccepted()
	// The handshake, authentication and the first session must all be done
	// within HandshakeTimeout.
	g.closeIfIdleAfter(s.cfg.HandshakeTimeout, func() {
		// The server stores the ssh connection in the context once the
		// handshake and authentication are done.
		if ctx.Value(ssh.ContextKeyConn) == nil {
			s.log.Info("handshake timeout", "addr", conn.RemoteAddr().String())
		} else {
			s.log.Info("no session opened in time", "addr", conn.RemoteAddr().String())
		}
	})
	s.log.Debug("connect", "addr", conn.RemoteAddr().String())
	ctx.SetValue(connKey{}, g)
	return g
}

type connKey struct{}

// refuse turns a connection away before any SSH work: one line before the
// version string (OpenSSH shows it with -v; by default it says "Connection
// closed by remote host"), then a clean close. Reading the client's
// version line before closing avoids a reset, which OpenSSH reports as
// an error of its own. Bounded: at most a second.
func refuse(conn net.Conn, why string) {
	deadline := time.Now().Add(time.Second)
	conn.SetDeadline(deadline)
	fmt.Fprintf(conn, "sshchat: %s, try again later\r\n", why)
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.CloseWrite()
	}
	var buf [256]byte
	for {
		if _, err := conn.Read(buf[:]); err != nil {
			return
		}
	}
}

func (s *Server) handshakeFailed(conn net.Conn, err error) {
	s.log.Debug("handshake failed", "addr", conn.RemoteAddr().String(), "err", err)
}
