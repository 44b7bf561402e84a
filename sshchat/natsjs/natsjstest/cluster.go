package natsjstest

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// clusterReadyTimeout bounds how long three servers may take to elect a
// JetStream meta leader and see each other.
const clusterReadyTimeout = 30 * time.Second

// Cluster is a JetStream cluster of embedded servers on loopback, enough for
// streams and buckets with three replicas.
type Cluster struct {
	Servers []*Server
}

// RunCluster starts n servers (3 for R3) that route to each other, waits
// until JetStream has a meta leader that sees all of them, and stops them
// when the test ends.
func RunCluster(t testing.TB, n int, o Options) *Cluster {
	t.Helper()
	// Routes name fixed ports, so pick free ones first. Another process
	// could take one in between; on loopback in a test that is rare, and
	// the start fails loudly if it happens.
	ports := freePorts(t, n)
	routes := make([]string, n)
	for i, p := range ports {
		routes[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", p)
	}
	c := &Cluster{}
	for i := range n {
		s := &Server{
			t:       t,
			name:    fmt.Sprintf("n%d", i+1),
			opts:    o,
			storage: t.TempDir(),
			cluster: &clusterOptions{name: "sshchat-test", port: ports[i], routes: routes},
		}
		c.Servers = append(c.Servers, s)
	}
	for _, s := range c.Servers {
		s.Start()
		t.Cleanup(s.Shutdown)
	}
	c.WaitReady(t)
	return c
}

// URLs are the client URLs of every server, for a client that should fail
// over between them.
func (c *Cluster) URLs() []string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = s.URL()
	}
	return urls
}

// WaitReady waits until a running server is the JetStream meta leader and
// sees every server of the cluster as a peer, and every running server is
// current with it.
func (c *Cluster) WaitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(clusterReadyTimeout)
	for time.Now().Before(deadline) {
		if c.ready() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("natsjstest: cluster not ready within %v", clusterReadyTimeout)
}

func (c *Cluster) ready() bool {
	leader := false
	for _, s := range c.Servers {
		srv := s.NATS()
		if srv == nil {
			continue
		}
		if !srv.JetStreamIsCurrent() {
			return false
		}
		if srv.JetStreamIsLeader() && len(srv.JetStreamClusterPeers()) == len(c.Servers) {
			leader = true
		}
	}
	return leader
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natsjstest: free port: %v", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
