package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATS servers for --cluster-compare: each one a child process (the load
// tool re-executed with natsArg first, running an embedded nats-server
// with JetStream), so that its CPU and RSS are read from /proc apart from
// sshchat's. Every round gets fresh servers with fresh data folders; the
// folders go when the servers stop.

// natsArg, as the first argument, makes the load tool a NATS server.
const natsArg = "--serve-nats"

// natsReadyFile is written into the server's folder once JetStream answers
// healthy (for a cluster: a meta leader is elected and this server is
// current with it), which is later than the client port accepting.
const natsReadyFile = "jetstream-ready"

// natsReadyTimeout bounds how long servers may take to be healthy;
// generous, the machine is shared.
const natsReadyTimeout = 60 * time.Second

// runNATS is the NATS server's main: until SIGTERM or SIGINT.
func runNATS(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("sshchat-load "+natsArg, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:4222", "loopback client `address`")
	dir := fs.String("dir", "", "folder for JetStream's files and the ready file")
	name := fs.String("name", "n1", "server name")
	clusterAddr := fs.String("cluster-addr", "", "loopback route `address` (cluster only)")
	routes := fs.String("routes", "", "comma-separated nats-route:// URLs of every cluster member")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts, err := natsOptions(*addr, *dir, *name, *clusterAddr, *routes)
	if err != nil {
		log.Error("nats server", "err", err)
		return 2
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		log.Error("nats server", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	srv.Start()
	defer func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	}()
	if !srv.ReadyForConnections(natsReadyTimeout) {
		log.Error("nats server not ready", "timeout", natsReadyTimeout)
		return 1
	}
	// Healthy means JetStream can take a stream: poll until then (or a
	// signal), then tell the parent through the ready file.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for srv.Healthz(&server.HealthzOptions{}).Status != "ok" {
		select {
		case <-ctx.Done():
			return 0
		case <-tick.C:
		}
	}
	if err := os.WriteFile(filepath.Join(*dir, natsReadyFile), nil, 0o600); err != nil {
		log.Error("nats server: ready file", "err", err)
		return 1
	}
	<-ctx.Done()
	return 0
}

// natsOptions are one embedded server's options: loopback only, JetStream
// in dir, routed to the others when routes is set.
func natsOptions(addr, dir, name, clusterAddr, routes string) (*server.Options, error) {
	host, port, err := loopbackHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--addr: %w", err)
	}
	if dir == "" {
		return nil, errors.New("--dir is required")
	}
	o := &server.Options{
		ServerName:         name,
		Host:               host,
		Port:               port,
		NoLog:              true,
		NoSigs:             true, // this process handles its signals itself
		JetStream:          true,
		StoreDir:           dir,
		JetStreamMaxMemory: 64 << 20,
		JetStreamMaxStore:  1 << 30,
	}
	if clusterAddr != "" {
		chost, cport, err := loopbackHostPort(clusterAddr)
		if err != nil {
			return nil, fmt.Errorf("--cluster-addr: %w", err)
		}
		o.Cluster = server.ClusterOpts{Name: "sshchat-load", Host: chost, Port: cport}
		o.Routes = server.RoutesFromStr(routes)
	}
	return o, nil
}

func loopbackHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", 0, fmt.Errorf("not a loopback IP address: %q", host)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, err
	}
	return host, port, nil
}

// natsGroup is the NATS servers of one run; stop stops them all.
type natsGroup struct {
	procs []*spawned
}

// URLs is the comma-separated client URLs, as sshchat's --nats takes them.
func (g *natsGroup) URLs() string {
	urls := make([]string, len(g.procs))
	for i, p := range g.procs {
		urls[i] = "nats://" + p.addr
	}
	return strings.Join(urls, ",")
}

func (g *natsGroup) pids() []int {
	pids := make([]int, len(g.procs))
	for i, p := range g.procs {
		pids[i] = p.cmd.Process.Pid
	}
	return pids
}

// stop stops every server (SIGTERM, then SIGKILL after grace) and removes
// its folder.
func (g *natsGroup) stop(grace time.Duration) {
	if g == nil {
		return
	}
	for _, p := range g.procs {
		p.stop(grace)
	}
}

// startNATS starts n NATS servers (one alone, or n routed as a cluster)
// and waits until every one answers healthy. On error nothing is left
// running.
func startNATS(n int, outFile string, wait time.Duration) (*natsGroup, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	clientPorts, err := freeLoopbackPorts(n)
	if err != nil {
		return nil, err
	}
	var routePorts []int
	var routes []string
	if n > 1 {
		if routePorts, err = freeLoopbackPorts(n); err != nil {
			return nil, err
		}
		for _, p := range routePorts {
			routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
		}
	}
	g := &natsGroup{}
	deadline := time.Now().Add(wait)
	for i := range n {
		dir, err := os.MkdirTemp("", "sshchat-load-nats-")
		if err != nil {
			g.stop(5 * time.Second)
			return nil, err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(clientPorts[i]))
		args := []string{natsArg, "--addr", addr, "--dir", dir, "--name", fmt.Sprintf("n%d", i+1)}
		if n > 1 {
			args = append(args, "--cluster-addr", fmt.Sprintf("127.0.0.1:%d", routePorts[i]), "--routes", strings.Join(routes, ","))
		}
		out := ""
		if outFile != "" {
			out = fmt.Sprintf("%s.nats%d", outFile, i+1)
		}
		p, err := startProcess(self, args, dir, addr, out, time.Until(deadline))
		if err != nil {
			g.stop(5 * time.Second)
			return nil, fmt.Errorf("nats server %d: %w", i+1, err)
		}
		g.procs = append(g.procs, p)
	}
	// A cluster elects its meta leader only once a majority runs, so wait
	// for health after starting them all.
	for _, p := range g.procs {
		if err := waitReadyFile(p, deadline); err != nil {
			g.stop(5 * time.Second)
			return nil, err
		}
	}
	return g, nil
}

func waitReadyFile(p *spawned, deadline time.Time) error {
	for {
		if _, err := os.Stat(filepath.Join(p.dir, natsReadyFile)); err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("nats server on %s exited (%v); output:\n%s", p.addr, p.waitErr, p.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nats server on %s: JetStream not healthy by the deadline", p.addr)
		}
	}
}

// freeLoopbackPorts asks the kernel for n distinct free ports, holding all
// of them open until it has them all. Another process could take one
// before the server binds it; the start then fails loudly.
func freeLoopbackPorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
