package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// --cluster-compare: the same load, round by round, against one node
// without NATS, one node on one NATS server, two nodes on one NATS server
// and two nodes on a three-server NATS cluster with three replicas
// (issue 11's measurement). Sessions are spread evenly over the nodes
// (session i on node i mod nodes), so half of what a sender's line reaches
// is on the other node; latency is reported apart for the same node and
// across nodes.

// clusterConfig is one column of the comparison.
type clusterConfig struct {
	key      string // short name, in the key=value summary
	title    string // column header
	nodes    int    // sshchat processes
	nats     int    // NATS server processes (0: no NATS)
	replicas int    // --nats-replicas
}

// clusterConfigs are the configurations compared, in column order.
func clusterConfigs(withR3 bool) []clusterConfig {
	cs := []clusterConfig{
		{key: "single", title: "1 node", nodes: 1},
		{key: "nats1", title: "1 node+NATS", nodes: 1, nats: 1, replicas: 1},
		{key: "two", title: "2 nodes+NATS", nodes: 2, nats: 1, replicas: 1},
	}
	if withR3 {
		cs = append(cs, clusterConfig{key: "two_r3", title: "2 nodes+NATS R3", nodes: 2, nats: 3, replicas: 3})
	}
	return cs
}

// clusterRun is what a runner started beyond its first sshchat process.
type clusterRun struct {
	cfg   clusterConfig
	nodes []*spawned // every sshchat node; nodes[0] is also runner.srv
	nats  *natsGroup
}

// addrs are the nodes' SSH addresses, by node index.
func (c *clusterRun) addrs() []string {
	a := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		a[i] = n.addr
	}
	return a
}

// activeRunner is the run in progress, for the signal handler.
var activeRunner atomic.Pointer[runner]

// runClusterCompare runs every configuration once per round, interleaved,
// and prints the side-by-side table.
func runClusterCompare(o *options, stdout, stderr io.Writer) int {
	// Ctrl-C or SIGTERM: abort the run in progress, whose teardown stops
	// every process it started, and start no further run.
	var interrupted atomic.Bool
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go func() {
		select {
		case s := <-sigs:
			interrupted.Store(true)
			fmt.Fprintf(stderr, "sshchat-load: %v: stopping\n", s)
			if r := activeRunner.Load(); r != nil {
				r.abort()
			}
		case <-stopWatch:
		}
	}()

	configs := clusterConfigs(o.clusterR3)
	results := make([][]*kv, len(configs))
	code := 0
	for round := 1; round <= o.rounds && !interrupted.Load(); round++ {
		for i, cfg := range configs {
			if interrupted.Load() {
				break
			}
			oc := *o
			oc.cluster = &cfg
			fmt.Fprintf(stdout, "\n=== round %d of %d: %s ===\n", round, o.rounds, cfg.title)
			c, res := runOnce(&oc, stdout, stderr)
			if c != 0 {
				code = c
			}
			results[i] = append(results[i], res)
		}
	}
	if interrupted.Load() {
		code = 1
	}
	writeClusterTable(stdout, configs, results)
	return code
}

// abort marks the run aborted and closes every client connection, which
// unblocks every phase; the teardown then stops the servers.
func (r *runner) abort() {
	r.aborted.Store(true)
	r.closeAll()
}

// spawnCluster starts this run's NATS servers (if any) and sshchat nodes,
// and returns the first node. On error nothing is left running.
func (r *runner) spawnCluster() (*spawned, error) {
	o, cfg := r.o, *r.o.cluster
	cl := &clusterRun{cfg: cfg}
	args := strings.Fields(o.serverArgs)
	if cfg.nats > 0 {
		g, err := startNATS(cfg.nats, o.serverOut, r.deadlineDur(natsReadyTimeout))
		if err != nil {
			return nil, err
		}
		cl.nats = g
		r.logf("NATS: %d server(s) %s (pids %v)", cfg.nats, g.URLs(), g.pids())
		args = append(args, "--nats", g.URLs(), "--nats-replicas", fmt.Sprint(cfg.replicas))
	}
	for i := range cfg.nodes {
		out := o.serverOut
		if out != "" && i > 0 {
			out = fmt.Sprintf("%s.node%d", out, i+1)
		}
		s, err := spawnServer(o.spawn, out, args, r.deadlineDur(30*time.Second))
		if err != nil {
			r.stopCluster(cl)
			return nil, fmt.Errorf("node %d: %w", i+1, err)
		}
		cl.nodes = append(cl.nodes, s)
		if i > 0 {
			r.logf("spawned node %d, pid %d on %s", i+1, s.cmd.Process.Pid, s.addr)
		}
	}
	r.cl = cl
	return cl.nodes[0], nil
}

// stopCluster stops the nodes beyond the first (runOnce stops that one as
// runner.srv), then the NATS servers.
func (r *runner) stopCluster(cl *clusterRun) {
	if cl == nil {
		return
	}
	for i, n := range cl.nodes {
		if i == 0 && r.srv == n {
			continue
		}
		ec, took, killed := n.stop(10 * time.Second)
		r.logf("node %d stopped: exit code %d after %v (killed: %v)", i+1, ec, took.Round(time.Millisecond), killed)
	}
	cl.nats.stop(10 * time.Second)
}

// placeClients spreads the clients evenly over the nodes: client i on
// node i mod nodes.
func (r *runner) placeClients(all []*client) {
	if r.cl == nil {
		return
	}
	addrs := r.cl.addrs()
	f := min(r.o.durableFlooders, r.o.n)
	for i, c := range all {
		c.node, c.nodes = i%len(addrs), len(addrs)
		c.addr = addrs[c.node]
		c.flooders, c.floodLines = f, r.o.durableLines // sizes the durable phase's bookkeeping
	}
	r.ctr.stored.init(f * r.o.durableLines)
	r.kv.set("config", "%s", r.cl.cfg.key)
	r.kv.set("nodes", "%d", r.cl.cfg.nodes)
	r.kv.set("nats_servers", "%d", r.cl.cfg.nats)
}

// checkClusterFlags validates the flags of --cluster-compare.
func checkClusterFlags(o *options) error {
	switch {
	case o.spawn == "":
		return fmt.Errorf("--cluster-compare needs --spawn (it starts every node and NATS server itself)")
	case o.baseline:
		return fmt.Errorf("--cluster-compare and --baseline are separate comparisons: give one")
	case o.stuck > 0 || o.flooders > 0:
		return fmt.Errorf("--cluster-compare measures the message path: no --stuck or --flooders (it has its own durable phase)")
	case o.rounds < 1 || o.rounds > 20:
		return fmt.Errorf("--rounds must be in [1, 20]")
	case o.durableFlooders < 0 || o.durableLines < 0:
		return fmt.Errorf("--durable-flooders and --durable-lines must not be negative")
	case o.durableFlooders*o.durableLines > 20000:
		return fmt.Errorf("--durable-flooders x --durable-lines must be at most 20000")
	case o.sourceAddrs < 0 || o.sourceAddrs > 250:
		return fmt.Errorf("--source-addrs must be in [0, 250]")
	}
	// The durable phase types as fast as the server accepts: no pacing.
	o.serverArgs = withoutPacing(o.serverArgs)
	return nil
}

// reportClusterCPU reports the CPU per delivered line of the sshchat and
// NATS processes and their sum.
func (r *runner) reportClusterCPU(sshchatCPU, natsCPU float64, delivered int64) {
	if delivered == 0 {
		return
	}
	per := func(cpu float64) float64 { return cpu * 1e6 / float64(delivered) }
	r.logf("  CPU per delivered line: sshchat %.1f µs, NATS %.1f µs, together %.1f µs",
		per(sshchatCPU), per(natsCPU), per(sshchatCPU+natsCPU))
	r.kv.set("nats_cpu_s", "%.2f", natsCPU)
	r.kv.set("nats_cpu_us_per_delivery", "%.1f", per(natsCPU))
	r.kv.set("total_cpu_us_per_delivery", "%.1f", per(sshchatCPU+natsCPU))
}

// serverCPU is the CPU seconds of every sshchat process of the run.
func (r *runner) serverCPU() float64 {
	if r.cl == nil {
		s, _, _ := procCPU(r.pid)
		return s
	}
	var sum float64
	for _, n := range r.cl.nodes {
		s, _, _ := procCPU(n.cmd.Process.Pid)
		sum += s
	}
	return sum
}

// natsCPU is the CPU seconds of the run's NATS servers (0 without).
func (r *runner) natsCPU() float64 {
	if r.cl == nil || r.cl.nats == nil {
		return 0
	}
	var sum float64
	for _, pid := range r.cl.nats.pids() {
		s, _, _ := procCPU(pid)
		sum += s
	}
	return sum
}

// recordClusterRSS sets the summed RSS of the sshchat and NATS processes.
func (r *runner) recordClusterRSS() {
	var s, n int64
	for _, node := range r.cl.nodes {
		rss, _, _ := procRSS(node.cmd.Process.Pid)
		s += rss
	}
	if r.cl.nats != nil {
		for _, pid := range r.cl.nats.pids() {
			rss, _, _ := procRSS(pid)
			n += rss
		}
	}
	r.kv.set("rss_sshchat_kib", "%d", s)
	r.kv.set("rss_nats_kib", "%d", n)
	r.kv.set("rss_total_kib", "%d", s+n)
}

// reportLatencySplit reports message latency apart for receivers on the
// sender's node and on the other node.
func (r *runner) reportLatencySplit() {
	same, cross := splitLatencies(r.clients)
	r.logf("  latency on the sender's node: p50 %v p99 %v (%d deliveries); across nodes: p50 %v p99 %v (%d deliveries)",
		pct(same, 50), pct(same, 99), len(same), pct(cross, 50), pct(cross, 99), len(cross))
	r.kv.set("lat_same_p50_ms", "%s", ms(pct(same, 50)))
	r.kv.set("lat_same_p99_ms", "%s", ms(pct(same, 99)))
	if len(cross) > 0 {
		r.kv.set("lat_cross_p50_ms", "%s", ms(pct(cross, 50)))
		r.kv.set("lat_cross_p99_ms", "%s", ms(pct(cross, 99)))
	}
}

// splitLatencies gathers the clients' message latencies, sorted, apart for
// the same node and across nodes.
func splitLatencies(cs []*client) (same, cross []time.Duration) {
	for _, c := range cs {
		c.mu.Lock()
		for _, l := range c.lat {
			same = append(same, time.Duration(l))
		}
		for _, l := range c.latCross {
			cross = append(cross, time.Duration(l))
		}
		c.mu.Unlock()
	}
	slices.Sort(same)
	slices.Sort(cross)
	return same, cross
}
