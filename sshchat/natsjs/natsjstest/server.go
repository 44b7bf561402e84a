// Package natsjstest runs embedded nats-server instances with JetStream for
// tests: one server, or a cluster of three on loopback with random ports,
// each storing its files in the test's temporary folder. Servers can be
// shut down and restarted on the same port and folder, to test reconnects
// and recovery.
//
// NATSJSTEST_LOG=1 in the environment shows the servers' logs on stderr.
//
// Only tests import this package, so the nats-server code never reaches the
// sshchat binary.
package natsjstest

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/logger"
	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long a server may take to accept connections.
// Generous: the test machine is shared and often loaded.
const readyTimeout = 30 * time.Second

// Options shapes one embedded server. The zero value is a single JetStream
// server on a random loopback port with the default sync interval.
type Options struct {
	// SyncAlways makes JetStream fsync every write before acknowledging it
	// (the `sync_interval: always` server setting).
	SyncAlways bool
	// SyncInterval is how often JetStream fsyncs its files; zero keeps the
	// server default (2 minutes).
	SyncInterval time.Duration

	// Username and Password, or Token, require clients to authenticate.
	Username, Password string
	Token              string

	// Configure, when set, edits the server options last (TLS, limits, ...).
	Configure func(*server.Options)
}

// Server is one embedded nats-server that can be stopped and started again
// on the same port with the same JetStream folder.
type Server struct {
	t       testing.TB
	name    string
	opts    Options
	port    int
	storage string
	cluster *clusterOptions
	srv     *server.Server
}

type clusterOptions struct {
	name   string
	port   int
	routes []string
}

// Run starts one server and stops it when the test ends.
func Run(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{t: t, name: "n1", opts: o, storage: t.TempDir()}
	s.Start()
	t.Cleanup(s.Shutdown)
	return s
}

// Start starts the server (again), on the port it had before, if any.
func (s *Server) Start() {
	s.t.Helper()
	if s.srv != nil {
		s.t.Fatalf("natsjstest: server %s already running", s.name)
	}
	srv, err := server.NewServer(s.serverOptions())
	if err != nil {
		s.t.Fatalf("natsjstest: new server %s: %v", s.name, err)
	}
	if os.Getenv("NATSJSTEST_LOG") != "" {
		// Debugging a test: the server's own log on stderr.
		srv.SetLoggerV2(logger.NewStdLogger(true, true, false, false, true, logger.LogUTC(true)), true, false, false)
	}
	srv.Start()
	if !srv.ReadyForConnections(readyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		s.t.Fatalf("natsjstest: server %s not ready within %v", s.name, readyTimeout)
	}
	s.srv = srv
	s.port = srv.Addr().(*net.TCPAddr).Port
}

// Shutdown stops the server and waits until it has stopped. Calling it on a
// stopped server does nothing.
func (s *Server) Shutdown() {
	if s.srv == nil {
		return
	}
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	s.srv = nil
}

// Restart stops the server and starts it again on the same port and folder.
func (s *Server) Restart() {
	s.t.Helper()
	s.Shutdown()
	s.Start()
}

// URL is the client URL, stable across restarts.
func (s *Server) URL() string {
	return fmt.Sprintf("nats://127.0.0.1:%d", s.port)
}

// Running reports whether the server is up.
func (s *Server) Running() bool { return s.srv != nil }

// NATS is the running nats-server (nil while stopped).
func (s *Server) NATS() *server.Server { return s.srv }

func (s *Server) serverOptions() *server.Options {
	port := s.port
	if port == 0 {
		port = -1 // random
	}
	o := &server.Options{
		ServerName:         s.name,
		Host:               "127.0.0.1",
		Port:               port,
		NoLog:              true,
		NoSigs:             true,
		JetStream:          true,
		StoreDir:           s.storage, // the server adds "jetstream/"
		JetStreamMaxMemory: 64 << 20,
		JetStreamMaxStore:  1 << 30,
		SyncAlways:         s.opts.SyncAlways,
		SyncInterval:       s.opts.SyncInterval,
		Username:           s.opts.Username,
		Password:           s.opts.Password,
		Authorization:      s.opts.Token,
	}
	if c := s.cluster; c != nil {
		o.Cluster = server.ClusterOpts{Name: c.name, Host: "127.0.0.1", Port: c.port}
		o.Routes = server.RoutesFromStr(strings.Join(c.routes, ","))
	}
	if s.opts.Configure != nil {
		s.opts.Configure(o)
	}
	return o
}
