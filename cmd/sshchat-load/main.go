// Command sshchat-load is an end-to-end load test for the sshchat server.
// It opens many real SSH sessions with a pty (golang.org/x/crypto/ssh, one
// fresh ed25519 key and one user name each), measures join time, server
// memory per session, the latency of a line sent right after a join burst,
// and the latency, loss and server CPU cost of a message phase. Optionally
// it adds clients that never read, to show that they are cut off and that
// the others do not notice, and flooders (--flooders) that type many lines
// at once, to show what that does to everyone else's latency.
//
// --cluster-compare runs the same load against one node, one node on
// NATS and two nodes on NATS side by side (cluster_compare.go).
//
// Every phase has a deadline and the whole run is bounded by --timeout;
// only loopback addresses are used.
//
//	go build -o /tmp/sshchat-bin ./cmd/sshchat
//	go run ./cmd/sshchat-load --spawn /tmp/sshchat-bin -n 1000 --connect-burst
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"
)

type options struct {
	spawn        string
	addr         string
	pid          int
	n            int
	burst        bool
	concurrency  int
	senders      int
	m            int
	rate         float64
	pad          int
	probes       int
	stuck        int
	flooders     int
	floodLines   int
	timeout      time.Duration
	dialTimeout  time.Duration
	settle       time.Duration
	drain        time.Duration
	serverLog    bool
	serverOut    string
	serverArgs   string
	progress     time.Duration
	inprocess    bool
	cpuProfile   string
	heapProfile  string
	goroutineOut string
	sourceAddrs  int
	baseline     bool
	rounds       int
	floor        bool // this run targets the floor server (set by --baseline)

	// --cluster-compare (cluster_compare.go)
	clusterCompare  bool
	clusterR3       bool
	durableFlooders int
	durableLines    int
	cluster         *clusterConfig // this run's configuration (set by --cluster-compare)
	floorKind       string
	profilesDir     string
	gcCycles        int
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// inprocStart, when set (build tag loadprof), runs the server inside this
// process so that it can be profiled; stop shuts it down.
var inprocStart func(o *options) (addr string, stop func() int, err error)

// extraFlags, when set (build tag loadprof), adds that build's flags.
var extraFlags func(fs *flag.FlagSet, o *options)

// profileHooks, when set (build tag loadprof), start/stop profiles around
// the phases.
var profileHooks struct {
	afterConnect func(o *options)
	startCPU     func(o *options)
	stopCPU      func(o *options)
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("sshchat-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.spawn, "spawn", "", "run the server binary at `path` on a free loopback port (preferred)")
	fs.StringVar(&o.addr, "addr", "", "attach to a running server at this loopback `address` instead")
	fs.IntVar(&o.pid, "pid", 0, "with --addr: the server's `pid`, for CPU and RSS readings")
	fs.IntVar(&o.n, "n", 200, "number of healthy sessions")
	fs.BoolVar(&o.burst, "connect-burst", false, "dial all sessions at once (one goroutine each) instead of --connect-concurrency at a time")
	fs.IntVar(&o.concurrency, "connect-concurrency", 32, "sessions being set up at once without --connect-burst")
	fs.IntVar(&o.senders, "senders", 10, "clients that send in the message phase")
	fs.IntVar(&o.m, "m", 20, "lines each sender sends")
	fs.Float64Var(&o.rate, "rate", 10, "lines per second per sender")
	fs.IntVar(&o.pad, "pad", 0, "extra `bytes` of padding in each message line (max line is 1000)")
	fs.IntVar(&o.probes, "probes", 5, "probe lines sent right after the joins")
	fs.IntVar(&o.stuck, "stuck", 0, "extra clients that request a pty and never read")
	fs.IntVar(&o.flooders, "flooders", 0, "extra clients (pty) that each type --flood-lines lines in one write at the start of the message phase; reported apart from the senders")
	fs.IntVar(&o.floodLines, "flood-lines", 1000, "lines each flooder writes at once (flooders x flood-lines at most 20000)")
	fs.DurationVar(&o.timeout, "timeout", 120*time.Second, "abort the whole run after this long")
	fs.DurationVar(&o.dialTimeout, "dial-timeout", 30*time.Second, "bound on one session's TCP dial, handshake and setup")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "idle time after the joins before the RSS reading")
	fs.DurationVar(&o.drain, "drain", 20*time.Second, "how long after the last send to wait for deliveries")
	fs.BoolVar(&o.serverLog, "server-log", false, "print the spawned server's warnings at the end")
	fs.StringVar(&o.serverArgs, "server-args", "", "extra `flags` for the spawned server, space-separated (e.g. \"--rate 0\")")
	fs.StringVar(&o.serverOut, "server-output", "", "also write the spawned server's output to `file`")
	fs.DurationVar(&o.progress, "progress", 0, "print delivery progress this often during the message phase (0: never)")
	fs.IntVar(&o.sourceAddrs, "source-addrs", 0, "spread the sessions over this many loopback source addresses, 127.0.0.2 and up (0: the kernel's choice), so that the server's per-address limits can stay on")
	fs.BoolVar(&o.baseline, "baseline", false, "with --spawn: also run the same load against a floor server (bare wish + x/crypto, one write per delivery, no chat logic), interleaved, and print sshchat's figures as ratios to it")
	fs.IntVar(&o.rounds, "rounds", 3, "with --baseline or --cluster-compare: interleaved rounds (floor, sshchat, floor, sshchat, ...; or every configuration in turn); the summary shows medians")
	fs.BoolVar(&o.clusterCompare, "cluster-compare", false, "with --spawn: run the same load against one node, one node on one NATS server, two nodes on one NATS server and two nodes on three NATS servers (R3), interleaved, and print them side by side")
	fs.BoolVar(&o.clusterR3, "cluster-r3", true, "with --cluster-compare: include two nodes on a three-server NATS cluster with --nats-replicas 3")
	fs.IntVar(&o.durableFlooders, "durable-flooders", 10, "with --cluster-compare: sessions that each type --durable-lines lines at once in the durable phase")
	fs.IntVar(&o.durableLines, "durable-lines", 200, "with --cluster-compare: lines each durable flooder types in one write")
	fs.StringVar(&o.floorKind, "baseline-kind", floorWriter, "with --baseline: the floor server, writer (one write per delivery) or bare (a wish handler that only waits: the floor for memory per idle session; runs stop after the memory reading)")
	fs.StringVar(&o.profilesDir, "server-profiles", "", "save the server's heap profile and goroutines after the joins into `dir` (servers with debug endpoints: sshchat with --metrics/--pprof, the floor)")
	fs.IntVar(&o.gcCycles, "gc-cycles", 3, "before each memory reading, collections with memory returned to the OS in the server (servers with debug endpoints); stacks shrink by half at most per collection")
	if extraFlags != nil {
		extraFlags(fs, o) // the profiling build's flags (inproc.go)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	modes := 0
	for _, b := range []bool{o.spawn != "", o.addr != "", o.inprocess} {
		if b {
			modes++
		}
	}
	if modes != 1 {
		return nil, fmt.Errorf("give exactly one of --spawn PATH or --addr HOST:PORT")
	}
	if o.addr != "" {
		host, _, err := net.SplitHostPort(o.addr)
		if err != nil {
			return nil, fmt.Errorf("--addr: %w", err)
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("--addr must be a loopback IP address (got %q)", host)
		}
	}
	switch {
	case o.n < 2:
		return nil, fmt.Errorf("-n must be at least 2")
	case o.senders < 0 || o.senders > o.n:
		return nil, fmt.Errorf("--senders must be between 0 and -n")
	case o.m < 0, o.probes < 0, o.stuck < 0, o.pad < 0, o.flooders < 0:
		return nil, fmt.Errorf("counts must not be negative")
	case o.flooders > 0 && (o.floodLines < 1 || o.flooders*o.floodLines > 20000):
		return nil, fmt.Errorf("--flood-lines must be at least 1 and --flooders x --flood-lines at most 20000")
	case o.rate <= 0 || o.rate > 1000:
		return nil, fmt.Errorf("--rate must be in (0, 1000]")
	case o.pad > 900:
		return nil, fmt.Errorf("--pad must be at most 900 (the server's line limit is 1000 bytes)")
	case o.timeout <= 0 || o.timeout > time.Hour:
		return nil, fmt.Errorf("--timeout must be in (0, 1h]")
	case o.baseline && o.spawn == "":
		return nil, fmt.Errorf("--baseline needs --spawn (the floor server runs beside a spawned sshchat)")
	case o.baseline && (o.stuck > 0 || o.flooders > 0):
		return nil, fmt.Errorf("--baseline measures the message path only: no --stuck or --flooders")
	case o.baseline && (o.rounds < 1 || o.rounds > 20):
		return nil, fmt.Errorf("--rounds must be in [1, 20]")
	case o.gcCycles < 1 || o.gcCycles > 20:
		return nil, fmt.Errorf("--gc-cycles must be in [1, 20]")
	case o.floorKind != floorWriter && o.floorKind != floorBare:
		return nil, fmt.Errorf("--baseline-kind must be writer or bare")
	case o.sourceAddrs < 0 || o.sourceAddrs > 250:
		return nil, fmt.Errorf("--source-addrs must be in [0, 250]")
	case o.concurrency < 1:
		o.concurrency = 1
	}
	if o.clusterCompare {
		if err := checkClusterFlags(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == floorArg {
		return runFloor(args[1:], stderr)
	}
	if len(args) > 0 && args[0] == natsArg {
		return runNATS(args[1:], stderr)
	}
	o, err := parseFlags(args, stderr)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "sshchat-load: %v\n", err)
		return 2
	}
	if o.baseline {
		return runBaseline(o, stdout, stderr)
	}
	if o.clusterCompare {
		return runClusterCompare(o, stdout, stderr)
	}
	code, _ := runOnce(o, stdout, stderr)
	return code
}

// runOnce runs every phase once against one server and returns the exit
// code and the report's key=value pairs.
func runOnce(o *options, stdout, stderr io.Writer) (int, *kv) {
	r := &runner{o: o, out: stdout, start: time.Now()}
	r.end = r.start.Add(o.timeout)
	r.phase.Store("setup")
	r.ctr.probes = make([]atomic.Int64, o.probes)
	r.fctr.probes = make([]atomic.Int64, o.probes) // flooders see them in the history
	activeRunner.Store(r)
	defer activeRunner.Store(nil)
	// The global timeout: mark the run aborted and close every connection,
	// which unblocks every read, write and wait below.
	abort := time.AfterFunc(o.timeout, func() {
		r.aborted.Store(true)
		fmt.Fprintf(stderr, "sshchat-load: --timeout %v reached during %s; aborting\n", o.timeout, r.phase.Load())
		r.closeAll()
	})
	defer abort.Stop()

	code := r.main()

	r.phase.Store("teardown")
	r.closeAll()
	r.waitReaders(5 * time.Second)
	switch {
	case r.srv != nil:
		ec, took, killed := r.srv.stop(10 * time.Second)
		r.logf("server stopped with SIGTERM: exit code %d after %v (killed: %v)", ec, took.Round(time.Millisecond), killed)
		r.kv.set("server_exit", "%d", ec)
		r.kv.set("server_stop_ms", "%d", took.Milliseconds())
		if killed {
			r.kv.set("server_killed", "true")
		}
		if warns := serverWarnings(r.srv.log.Lines()); len(warns) > 0 {
			r.logf("server warnings/errors: %d lines (showing up to 10; --server-log for all)", len(warns))
			show := warns
			if !o.serverLog && len(show) > 10 {
				show = show[:10]
			}
			for _, w := range show {
				fmt.Fprintf(r.out, "    %s\n", w)
			}
		}
	case r.stopIP != nil:
		ec := r.stopIP()
		r.kv.set("server_exit", "%d", ec)
	}
	r.stopCluster(r.cl) // --cluster-compare: the other nodes and NATS
	if r.aborted.Load() {
		r.kv.set("aborted", "%s", r.phase.Load())
		code = 1
	}
	r.kv.set("wall_s", "%.1f", time.Since(r.start).Seconds())
	fmt.Fprintln(r.out)
	fmt.Fprintln(r.out, r.kv.line())
	return code, &r.kv
}
