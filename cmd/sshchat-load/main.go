// Command sshchat-load is an end-to-end load test for the sshchat server.
// It opens many real SSH sessions with a pty (golang.org/x/crypto/ssh, one
// fresh ed25519 key and one user name each), measures join time, server
// memory per session, the latency of a line sent right after a join burst,
// and the latency, loss and server CPU cost of a message phase. Optionally
// it adds clients that never read, to show that they are cut off and that
// the others do not notice, and flooders (--flooders) that type many lines
// at once, to show what that does to everyone else's latency.
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
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	case o.concurrency < 1:
		o.concurrency = 1
	}
	return o, nil
}

// kv is the report's key=value line, in insertion order.
type kv struct {
	keys []string
	vals map[string]string
}

func (r *kv) set(k string, format string, args ...any) {
	if r.vals == nil {
		r.vals = map[string]string{}
	}
	if _, ok := r.vals[k]; !ok {
		r.keys = append(r.keys, k)
	}
	r.vals[k] = fmt.Sprintf(format, args...)
}

func (r *kv) line() string {
	var b strings.Builder
	b.WriteString("sshchat-load")
	for _, k := range r.keys {
		fmt.Fprintf(&b, " %s=%s", k, r.vals[k])
	}
	return b.String()
}

type runner struct {
	o      *options
	out    io.Writer
	start  time.Time
	end    time.Time // global deadline
	kv     kv
	pid    int
	srv    *spawned
	stopIP func() int

	aborted atomic.Bool
	phase   atomic.Value // string

	mu       sync.Mutex
	clients  []*client // healthy
	stuck    []*client
	flooders []*client
	ctr      counters // the healthy clients' readers
	fctr     counters // the flooders' own readers (not reported)
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.out, "[%6.2fs] ", time.Since(r.start).Seconds())
	fmt.Fprintf(r.out, format+"\n", args...)
}

// deadline returns the earlier of now+d and the global deadline.
func (r *runner) deadline(d time.Duration) time.Time {
	t := time.Now().Add(d)
	if t.After(r.end) {
		return r.end
	}
	return t
}

func (r *runner) closeAll() {
	r.mu.Lock()
	all := append(append(append([]*client(nil), r.clients...), r.stuck...), r.flooders...)
	r.mu.Unlock()
	for _, c := range all {
		c.close()
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "sshchat-load: %v\n", err)
		return 2
	}
	r := &runner{o: o, out: stdout, start: time.Now()}
	r.end = r.start.Add(o.timeout)
	r.phase.Store("setup")
	r.ctr.probes = make([]atomic.Int64, o.probes)
	r.fctr.probes = make([]atomic.Int64, o.probes) // flooders see them in the history
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
	if r.aborted.Load() {
		r.kv.set("aborted", "%s", r.phase.Load())
		code = 1
	}
	r.kv.set("wall_s", "%.1f", time.Since(r.start).Seconds())
	fmt.Fprintln(r.out)
	fmt.Fprintln(r.out, r.kv.line())
	return code
}

func serverWarnings(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic") {
			out = append(out, l)
		}
	}
	return out
}

func (r *runner) main() int {
	o := r.o
	r.raiseNoFile(2*(o.n+o.stuck+o.flooders) + 256)

	// The server.
	switch {
	case o.spawn != "":
		s, err := spawnServer(o.spawn, o.serverOut, strings.Fields(o.serverArgs), r.deadlineDur(15*time.Second))
		if err != nil {
			r.logf("spawn: %v", err)
			return 1
		}
		r.srv, r.pid, o.addr = s, s.cmd.Process.Pid, s.addr
		r.logf("spawned pid %d: %s", r.pid, strings.Join(s.cmd.Args, " "))
	case o.inprocess:
		addr, stop, err := inprocStart(o)
		if err != nil {
			r.logf("in-process server: %v", err)
			return 1
		}
		o.addr, r.stopIP, r.pid = addr, stop, os.Getpid()
		r.logf("in-process server on %s (CPU and RSS readings include the load tool itself)", addr)
	default:
		r.pid = o.pid
		r.logf("attached to %s (pid %d)", o.addr, o.pid)
	}
	r.kv.set("n", "%d", o.n)
	r.kv.set("burst", "%v", o.burst)
	r.kv.set("senders", "%d", o.senders)
	r.kv.set("m", "%d", o.m)
	r.kv.set("rate", "%g", o.rate)
	if o.pad > 0 {
		r.kv.set("pad", "%d", o.pad)
	}
	r.kv.set("stuck", "%d", o.stuck)
	if o.flooders > 0 {
		r.kv.set("flooders", "%d", o.flooders)
		r.kv.set("flood_lines", "%d", o.floodLines)
	}
	r.kv.set("gomaxprocs", "%d", runtime.GOMAXPROCS(0))

	// Keys first, so that key generation is not part of the join time.
	total := o.n + o.stuck + o.flooders
	all := make([]*client, total)
	for i := range all {
		s, err := newSigner()
		if err != nil {
			r.logf("key: %v", err)
			return 1
		}
		all[i] = &client{idx: i, user: fmt.Sprintf("load%04d", i+1), signer: s, start: r.start,
			flooders: o.flooders, floodLines: o.floodLines}
	}
	for i := o.n; i < o.n+o.stuck; i++ {
		all[i].user = fmt.Sprintf("stuck%03d", i-o.n+1)
	}
	for i := o.n + o.stuck; i < total; i++ {
		all[i].user = fmt.Sprintf("flood%03d", i-o.n-o.stuck+1)
	}

	// Baseline with no sessions.
	time.Sleep(300 * time.Millisecond)
	baseRSS, _, rssErr := procRSS(r.pid)
	if r.pid > 0 && rssErr == nil {
		r.logf("server RSS with 0 sessions: %d KiB", baseRSS)
		r.kv.set("rss_base_kib", "%d", baseRSS)
	}

	// Joins.
	r.phase.Store("connect")
	cpu0, _, _ := procCPU(r.pid)
	healthy := all[:o.n]
	t0 := time.Now()
	dialTimes, errs := r.connect(healthy, false, &r.ctr)
	connectDur := time.Since(t0)
	r.mu.Lock()
	for _, c := range healthy {
		if c.conn != nil {
			r.clients = append(r.clients, c)
		}
	}
	r.mu.Unlock()
	if len(errs) > 0 {
		r.logf("%d of %d sessions failed to connect; first error: %v", len(errs), o.n, errs[0])
		r.kv.set("connect_failed", "%d", len(errs))
		return 1
	}
	if !r.waitCount("welcome lines", &r.ctr.welcomed, int64(o.n), r.deadline(60*time.Second)) {
		r.kv.set("welcomed", "%d", r.ctr.welcomed.Load())
		return 1
	}
	joinDur := time.Since(t0)
	cpu1, threads, _ := procCPU(r.pid)
	slices.Sort(dialTimes)
	mode := fmt.Sprintf("%d at a time", o.concurrency)
	if o.burst {
		mode = "all at once"
	}
	r.logf("%d sessions joined (%s) in %v (sessions set up in %v); setup time per session p50 %v p99 %v max %v; server CPU %.2fs; server threads %d",
		o.n, mode, joinDur.Round(time.Millisecond), connectDur.Round(time.Millisecond),
		pct(dialTimes, 50), pct(dialTimes, 99), pct(dialTimes, 100), cpu1-cpu0, threads)
	r.kv.set("join_all_ms", "%d", joinDur.Milliseconds())
	r.kv.set("setup_p50_ms", "%s", ms(pct(dialTimes, 50)))
	r.kv.set("setup_p99_ms", "%s", ms(pct(dialTimes, 99)))
	r.kv.set("join_server_cpu_s", "%.2f", cpu1-cpu0)
	if r.pid > 0 {
		r.kv.set("server_cpu_ms_per_join", "%.2f", (cpu1-cpu0)*1000/float64(o.n))
	}

	// A line sent right after the joins.
	r.phase.Store("probes")
	if !r.probePhase() {
		return 1
	}

	// Memory with every session idle.
	r.phase.Store("settle")
	time.Sleep(min(o.settle, time.Until(r.end)))
	if r.pid > 0 {
		rss, hwm, err := procRSS(r.pid)
		if err == nil {
			per := float64(rss-baseRSS) / float64(o.n)
			r.logf("server RSS with %d idle sessions: %d KiB (peak %d KiB, fds %d) => %.1f KiB per session",
				o.n, rss, hwm, procFDs(r.pid), per)
			r.kv.set("rss_after_kib", "%d", rss)
			r.kv.set("rss_hwm_kib", "%d", hwm)
			r.kv.set("rss_per_session_kib", "%.1f", per)
		}
	}
	if profileHooks.afterConnect != nil {
		profileHooks.afterConnect(o)
	}

	// Clients that never read.
	if o.stuck > 0 {
		r.phase.Store("stuck connect")
		stuck := all[o.n : o.n+o.stuck]
		_, errs := r.connect(stuck, true, &r.ctr)
		r.mu.Lock()
		for _, c := range stuck {
			if c.conn != nil {
				r.stuck = append(r.stuck, c)
			}
		}
		r.mu.Unlock()
		if len(errs) > 0 {
			r.logf("%d stuck clients failed to connect: %v", len(errs), errs[0])
			return 1
		}
		r.logf("%d clients that never read connected", len(stuck))
	}

	// Flooders: ordinary pty sessions that read everything, connected
	// last so that the joins and probes above are unchanged.
	if o.flooders > 0 {
		r.phase.Store("flooder connect")
		fl := all[o.n+o.stuck:]
		_, errs := r.connect(fl, false, &r.fctr)
		r.mu.Lock()
		for _, c := range fl {
			if c.conn != nil {
				r.flooders = append(r.flooders, c)
			}
		}
		r.mu.Unlock()
		if len(errs) > 0 {
			r.logf("%d flooders failed to connect: %v", len(errs), errs[0])
			return 1
		}
		if !r.waitCount("flooders' welcome lines", &r.fctr.welcomed, int64(o.flooders), r.deadline(30*time.Second)) {
			return 1
		}
		r.logf("%d flooders connected", len(fl))
		time.Sleep(min(300*time.Millisecond, time.Until(r.end))) // let the join notices pass
	}

	r.phase.Store("messages")
	ok := r.messagePhase()
	if r.aborted.Load() {
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

func (r *runner) deadlineDur(d time.Duration) time.Duration { return time.Until(r.deadline(d)) }

// connect sets up sessions, all at once (--connect-burst) or a bounded
// number at a time, and returns each one's setup time.
func (r *runner) connect(cs []*client, stuck bool, ctr *counters) ([]time.Duration, []error) {
	o := r.o
	conc := o.concurrency
	if o.burst || stuck {
		conc = len(cs)
	}
	sem := make(chan struct{}, conc)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	times := make([]time.Duration, len(cs))
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			sem <- struct{}{}
			defer func() { <-sem }()
			if r.aborted.Load() {
				mu.Lock()
				errs = append(errs, fmt.Errorf("aborted"))
				mu.Unlock()
				return
			}
			t := time.Now()
			err := c.dial(o.addr, min(o.dialTimeout, max(time.Until(r.end), time.Millisecond)), stuck, ctr, o.m, o.senders, o.probes)
			times[i] = time.Since(t)
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", c.user, err))
				mu.Unlock()
			}
		}()
	}
	close(gate)
	wg.Wait()
	return times, errs
}

// waitCount polls v until it reaches want or the deadline passes.
func (r *runner) waitCount(what string, v *atomic.Int64, want int64, deadline time.Time) bool {
	for {
		got := v.Load()
		if got >= want {
			return true
		}
		if r.aborted.Load() || time.Now().After(deadline) {
			r.logf("timed out waiting for %s: %d of %d", what, got, want)
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

func (r *runner) probePhase() bool {
	o := r.o
	if o.probes == 0 {
		return true
	}
	sender := r.clients[len(r.clients)-1] // the last to be set up
	var lats []time.Duration
	var firstMax time.Duration
	buf := make([]byte, 0, 64)
	for k := 0; k < o.probes; k++ {
		buf = fmt.Appendf(buf[:0], "#PB %d %d\r", k, int64(time.Since(r.start)))
		if err := sender.send(buf); err != nil {
			r.logf("probe %d: send: %v", k, err)
			return false
		}
		// Everyone else, and the sender itself (which we do not count).
		if !r.waitCount(fmt.Sprintf("probe %d", k), &r.ctr.probes[k], int64(o.n), r.deadline(10*time.Second)) {
			return false
		}
		var pmax time.Duration
		for _, c := range r.clients {
			if c == sender {
				continue
			}
			c.mu.Lock()
			d := time.Duration(c.probeLat[k])
			c.mu.Unlock()
			lats = append(lats, d)
			pmax = max(pmax, d)
		}
		if k == 0 {
			firstMax = pmax
		}
		time.Sleep(20 * time.Millisecond)
	}
	slices.Sort(lats)
	r.logf("probe lines right after the joins (%d probes x %d recipients): p50 %v p99 %v max %v; first probe reached everyone in %v",
		o.probes, o.n-1, pct(lats, 50), pct(lats, 99), pct(lats, 100), firstMax.Round(10*time.Microsecond))
	r.kv.set("probe_p50_ms", "%s", ms(pct(lats, 50)))
	r.kv.set("probe_p99_ms", "%s", ms(pct(lats, 99)))
	r.kv.set("probe_max_ms", "%s", ms(pct(lats, 100)))
	r.kv.set("probe1_all_ms", "%s", ms(firstMax))
	return true
}

func (r *runner) messagePhase() bool {
	o := r.o
	expected := int64(o.senders * o.m * o.n)
	if expected == 0 && len(r.flooders) == 0 {
		return true
	}
	interval := time.Duration(float64(time.Second) / o.rate)
	pad := strings.Repeat("x", o.pad)
	if profileHooks.startCPU != nil {
		profileHooks.startCPU(o)
	}
	cpu0, _, _ := procCPU(r.pid)
	ru0 := selfCPU()
	h0 := hostCPU()
	t0 := time.Now()
	var wg sync.WaitGroup
	var sendErrs atomic.Int64
	fl := r.startFlood()
	for s := 0; s < o.senders; s++ {
		c := r.clients[s]
		offset := time.Duration(int64(interval) * int64(s) / int64(o.senders))
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 64+len(pad))
			for i := 0; i < o.m; i++ {
				at := t0.Add(offset + time.Duration(i)*interval)
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
				if r.aborted.Load() {
					return
				}
				buf = fmt.Appendf(buf[:0], "#LD %d %d %d ", s, i, int64(time.Since(r.start)))
				buf = append(buf, pad...)
				buf = append(buf, '\r')
				if err := c.send(buf); err != nil {
					sendErrs.Add(1)
					return
				}
			}
		}()
	}
	stopProgress := make(chan struct{})
	if o.progress > 0 {
		go func() {
			tick := time.NewTicker(o.progress)
			defer tick.Stop()
			last := int64(0)
			for {
				select {
				case <-stopProgress:
					return
				case <-tick.C:
				}
				got := r.ctr.msgs.Load()
				r.logf("  progress: %d of %d delivered (+%d)", got, expected, got-last)
				last = got
			}
		}()
	}
	wg.Wait()
	sendDur := time.Since(t0)
	drainEnd := r.deadline(o.drain)
	done := r.waitCount("message deliveries", &r.ctr.msgs, expected, drainEnd)
	elapsed := time.Since(t0)
	cpu1, _, _ := procCPU(r.pid)
	ru1 := selfCPU()
	h := hostCPU().sub(h0)
	if profileHooks.stopCPU != nil {
		profileHooks.stopCPU(o)
	}
	close(stopProgress)
	got := r.ctr.msgs.Load()

	var lats []time.Duration
	short := 0
	for _, c := range r.clients {
		c.mu.Lock()
		for _, l := range c.lat {
			lats = append(lats, time.Duration(l))
		}
		if len(c.lat) < o.senders*o.m {
			short++
		}
		c.mu.Unlock()
	}
	slices.Sort(lats)
	rate := float64(got) / elapsed.Seconds()
	cpu := cpu1 - cpu0
	r.logf("message phase: %d senders x %d lines at %g/s (sent in %v) to %d sessions", o.senders, o.m, o.rate, sendDur.Round(time.Millisecond), o.n)
	if fl != nil {
		r.logf("  (the senders' lines only, as received by the %d sessions; the %d flooders' lines are reported below)", o.n, len(r.flooders))
	}
	r.logf("  deliveries expected %d received %d lost %d duplicates %d (clients missing lines: %d; send errors: %d)",
		expected, got, expected-got, r.ctr.dups.Load(), short, sendErrs.Load())
	r.logf("  %.0f deliveries/s over %v; latency p50 %v p90 %v p99 %v p99.9 %v max %v",
		rate, elapsed.Round(time.Millisecond), pct(lats, 50), pct(lats, 90), pct(lats, 99), pct(lats, 99.9), pct(lats, 100))
	if r.pid > 0 && got > 0 {
		r.logf("  server CPU %.2fs => %.1f µs per delivered line; load tool CPU %.2fs (%.1f µs per line)",
			cpu, cpu*1e6/float64(got), ru1-ru0, (ru1-ru0)*1e6/float64(got))
	}
	r.logf("  machine during the phase (CPU-seconds over %d CPUs): user %.2f system %.2f irq+softirq %.2f idle %.2f steal %.2f",
		runtime.NumCPU(), h.user, h.sys, h.irq, h.idle, h.steal)
	r.kv.set("host_user_s", "%.2f", h.user)
	r.kv.set("host_sys_s", "%.2f", h.sys)
	r.kv.set("host_irq_s", "%.2f", h.irq)
	r.kv.set("host_idle_s", "%.2f", h.idle)
	r.kv.set("host_steal_s", "%.2f", h.steal)
	if r.pid > 0 && r.pid != os.Getpid() {
		// CPU used by neither the server nor this tool: other workloads
		// on a shared machine, which inflate latency.
		other := h.user + h.sys + h.irq - cpu - (ru1 - ru0)
		r.logf("  CPU used by other processes during the phase: %.2fs", other)
		r.kv.set("host_other_cpu_s", "%.2f", other)
	}
	r.kv.set("expected", "%d", expected)
	r.kv.set("received", "%d", got)
	r.kv.set("lost", "%d", expected-got)
	r.kv.set("dups", "%d", r.ctr.dups.Load())
	r.kv.set("deliveries_per_s", "%.0f", rate)
	r.kv.set("lat_p50_ms", "%s", ms(pct(lats, 50)))
	r.kv.set("lat_p90_ms", "%s", ms(pct(lats, 90)))
	r.kv.set("lat_p99_ms", "%s", ms(pct(lats, 99)))
	r.kv.set("lat_max_ms", "%s", ms(pct(lats, 100)))
	if r.pid > 0 && got > 0 {
		r.kv.set("server_cpu_s", "%.2f", cpu)
		r.kv.set("server_cpu_us_per_delivery", "%.1f", cpu*1e6/float64(got))
		r.kv.set("tool_cpu_us_per_delivery", "%.1f", (ru1-ru0)*1e6/float64(got))
	}
	if fl != nil {
		r.reportFlood(fl, t0, drainEnd, cpu0)
	}
	if len(r.stuck) > 0 {
		r.reportStuck(t0)
	}
	return done && sendErrs.Load() == 0
}

// flood is the flooders' side of a message phase.
type flood struct {
	wg      sync.WaitGroup
	writeNs []atomic.Int64 // per flooder: how long its one write took
	errs    atomic.Int64
}

// startFlood makes every flooder type all its --flood-lines lines in one
// write, at once. It returns nil without flooders.
func (r *runner) startFlood() *flood {
	if len(r.flooders) == 0 {
		return nil
	}
	f := &flood{writeNs: make([]atomic.Int64, len(r.flooders))}
	for k, c := range r.flooders {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			// One send time for every line: they are all typed at once.
			stamp := int64(time.Since(r.start))
			buf := make([]byte, 0, r.o.floodLines*48)
			for i := 0; i < r.o.floodLines; i++ {
				buf = fmt.Appendf(buf, "#FL %d %d %d\r", k, i, stamp)
			}
			t := time.Now()
			if err := c.send(buf); err != nil && !r.aborted.Load() {
				f.errs.Add(1)
				r.logf("  flooder %s: write: %v", c.user, err)
			}
			f.writeNs[k].Store(int64(time.Since(t)))
		}()
	}
	return f
}

// reportFlood waits for the flood lines until every session has them all
// or the drain window ends, whichever is first, and reports what arrived.
// With pacing the flood arrives at the server's rate, so most of it is
// normally still queued in the flooder's own reader when the window ends:
// that part is "not arrived", never "lost", and does not fail the run.
func (r *runner) reportFlood(f *flood, t0, drainEnd time.Time, cpu0 float64) {
	o := r.o
	want := int64(len(r.flooders) * o.floodLines * len(r.clients))
	for r.ctr.floodMsgs.Load() < want && time.Now().Before(drainEnd) && !r.aborted.Load() {
		time.Sleep(5 * time.Millisecond)
	}
	window := time.Since(t0)
	got := r.ctr.floodMsgs.Load()
	cpu1, _, _ := procCPU(r.pid)
	writesDone := make(chan struct{})
	go func() { f.wg.Wait(); close(writesDone) }()
	select {
	case <-writesDone:
	case <-time.After(max(time.Until(r.deadline(2*time.Second)), 0)):
		r.logf("  a flooder's write has not returned yet")
	}
	var writeMax time.Duration
	for i := range f.writeNs {
		writeMax = max(writeMax, time.Duration(f.writeNs[i].Load()))
	}

	var lats []time.Duration
	perRecipient := make([]int, 0, len(r.clients))
	for _, c := range r.clients {
		c.mu.Lock()
		for _, l := range c.floodLat {
			lats = append(lats, time.Duration(l))
		}
		perRecipient = append(perRecipient, len(c.floodLat))
		c.mu.Unlock()
	}
	slices.Sort(lats)
	slices.Sort(perRecipient)
	cut := 0
	for _, c := range r.flooders {
		select {
		case <-c.connDone:
			cut++
		default:
		}
	}
	complete := "all of it"
	if got < want {
		complete = "the rest was still queued (paced) in the flooders' readers: not arrived, not lost"
	}
	r.logf("flood: %d flooders x %d lines typed in one write each at the start of the phase (longest write %v)",
		len(r.flooders), o.floodLines, writeMax.Round(10*time.Microsecond))
	r.logf("  flood deliveries within the drain window (%.1fs after the phase began): %d of %d arrived; %s",
		window.Seconds(), got, want, complete)
	r.logf("  flood lines per session: min %d median %d max %d of %d; duplicates %d; flooders cut off by the server: %d; write errors %d",
		perRecipient[0], perRecipient[len(perRecipient)/2], perRecipient[len(perRecipient)-1],
		len(r.flooders)*o.floodLines, r.ctr.floodDups.Load(), cut, f.errs.Load())
	r.logf("  flood-line latency (arrived lines only, from the write): p50 %v p99 %v max %v",
		pct(lats, 50), pct(lats, 99), pct(lats, 100))
	if r.pid > 0 {
		r.logf("  server CPU over the whole phase including the flood window: %.2fs", cpu1-cpu0)
		r.kv.set("flood_phase_server_cpu_s", "%.2f", cpu1-cpu0)
	}
	r.kv.set("flood_window_s", "%.1f", window.Seconds())
	r.kv.set("flood_expected", "%d", want)
	r.kv.set("flood_arrived", "%d", got)
	r.kv.set("flood_not_arrived", "%d", want-got)
	r.kv.set("flood_per_session_median", "%d", perRecipient[len(perRecipient)/2])
	r.kv.set("flood_dups", "%d", r.ctr.floodDups.Load())
	r.kv.set("flood_lat_p50_ms", "%s", ms(pct(lats, 50)))
	r.kv.set("flood_lat_p99_ms", "%s", ms(pct(lats, 99)))
	r.kv.set("flood_lat_max_ms", "%s", ms(pct(lats, 100)))
	r.kv.set("flood_cut", "%d", cut)
}

// reportStuck says whether each never-reading client was cut off, and when
// (relative to the start of the message phase). It waits a little past
// the server's 5 s watchdog for the cut.
func (r *runner) reportStuck(phaseStart time.Time) {
	wait := r.deadline(8 * time.Second)
	cut := 0
	var whens []string
	for _, c := range r.stuck {
		select {
		case <-c.connDone:
		case <-time.After(time.Until(wait)):
		}
		select {
		case <-c.connDone:
			cut++
			at := r.start.Add(time.Duration(c.closedAt.Load())).Sub(phaseStart)
			whens = append(whens, fmt.Sprintf("%.1f", at.Seconds()))
			r.logf("  stuck client %s disconnected by the server %.2fs into the message phase", c.user, at.Seconds())
		default:
			whens = append(whens, "no")
			r.logf("  stuck client %s still connected (the server never had to block on it: at most %d lines of %d bytes were queued)",
				c.user, r.o.senders*r.o.m, 60+r.o.pad)
		}
	}
	if r.srv != nil {
		for _, l := range r.srv.log.Lines() {
			for _, c := range r.stuck {
				if strings.Contains(l, "nick="+c.user+" ") && strings.Contains(l, "level=WARN") {
					r.logf("  server: %s", l)
				}
			}
		}
	}
	r.kv.set("stuck_cut", "%d", cut)
	r.kv.set("stuck_cut_at_s", "%s", strings.Join(whens, ","))
}

func (r *runner) waitReaders(d time.Duration) {
	deadline := time.After(d)
	r.mu.Lock()
	cs := append([]*client(nil), r.clients...)
	r.mu.Unlock()
	for _, c := range cs {
		if c.readDone == nil {
			continue
		}
		select {
		case <-c.readDone:
		case <-deadline:
			return
		}
	}
}

// raiseNoFile lifts the soft RLIMIT_NOFILE to at least want (up to the
// hard limit); a spawned server inherits it.
func (r *runner) raiseNoFile(want int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur >= uint64(want) {
		return
	}
	old := lim.Cur
	lim.Cur = min(max(uint64(want), old), lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		r.logf("raised RLIMIT_NOFILE from %d to %d", old, lim.Cur)
		r.kv.set("nofile_raised", "%d", lim.Cur)
	}
}

func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// pct returns the p-th percentile (nearest rank) of sorted d.
func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d))*p/100+0.999999) - 1
	i = max(0, min(i, len(d)-1))
	return d[i].Round(10 * time.Microsecond)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/1e6) }
