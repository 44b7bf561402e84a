package main

import (
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

// The runner: the state of one load run, its phases in order (main),
// and what every phase uses: deadlines, connecting clients, waiting.

type runner struct {
	o      *options
	out    io.Writer
	start  time.Time
	end    time.Time // global deadline
	kv     kv
	pid    int
	srv    *spawned
	stopIP func() int
	cl     *clusterRun // --cluster-compare: every node and the NATS servers

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

func (r *runner) main() int {
	o := r.o
	r.raiseNoFile(2*(o.n+o.stuck+o.flooders) + 256)

	// The server.
	switch {
	case o.spawn != "":
		spawn := func() (*spawned, error) {
			return spawnServer(o.spawn, o.serverOut, strings.Fields(o.serverArgs), r.deadlineDur(15*time.Second))
		}
		if o.floor {
			spawn = func() (*spawned, error) { return spawnFloor(o.floorKind, o.serverOut, r.deadlineDur(15*time.Second)) }
		}
		if o.cluster != nil {
			spawn = r.spawnCluster
		}
		s, err := spawn()
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
	if o.floor {
		r.kv.set("server", "floor")
		r.kv.set("floor_kind", "%s", o.floorKind)
	} else {
		r.kv.set("server", "sshchat")
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
	if o.sourceAddrs > 0 {
		for i, c := range all {
			c.source = net.IPv4(127, 0, 0, byte(2+i%o.sourceAddrs))
		}
		r.kv.set("source_addrs", "%d", o.sourceAddrs)
	}
	r.placeClients(all)
	for i := o.n; i < o.n+o.stuck; i++ {
		all[i].user = fmt.Sprintf("stuck%03d", i-o.n+1)
	}
	for i := o.n + o.stuck; i < total; i++ {
		all[i].user = fmt.Sprintf("flood%03d", i-o.n-o.stuck+1)
	}

	// Baseline with no sessions.
	time.Sleep(300 * time.Millisecond)
	debugAddr := ""
	if r.srv != nil {
		debugAddr = r.srv.debugAddr
	}
	baseMem, _, rssErr := r.readMemory(debugAddr)
	if r.pid > 0 && rssErr == nil {
		r.logf("server RSS with 0 sessions: %d KiB", baseMem.rss)
		r.kv.set("rss_base_kib", "%d", baseMem.rss)
	}
	memHost0, memSelf0, memCPU0 := hostCPU(), selfCPU(), 0.0
	if r.pid > 0 {
		memCPU0, _, _ = procCPU(r.pid)
	}
	bare := o.floor && o.floorKind == floorBare
	for _, c := range all {
		c.joinedAtShell = bare // it writes nothing, not even a welcome
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
	if !bare && !r.probePhase() {
		return 1
	}

	// Memory with every session idle.
	r.phase.Store("settle")
	time.Sleep(min(o.settle, time.Until(r.end)))
	if r.pid > 0 {
		mem, steady, err := r.readMemory(debugAddr)
		if err == nil {
			r.reportMemory(baseMem, mem, steady, o.n)
		}
		r.reportOtherCPU(memHost0, memSelf0, memCPU0, "from the joins to the memory reading")
		r.saveProfiles(debugAddr, o.profilesDir)
	}
	if profileHooks.afterConnect != nil {
		profileHooks.afterConnect(o)
	}
	if bare {
		return 0 // the bare floor carries no lines
	}

	// Clients that never read.
	if o.stuck > 0 {
		r.phase.Store("stuck connect")
		stuck := all[o.n : o.n+o.stuck]
		errs := r.connectInto(stuck, true, &r.ctr, &r.stuck)
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
		errs := r.connectInto(fl, false, &r.fctr, &r.flooders)
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
	if r.cl != nil && !r.aborted.Load() {
		r.recordClusterRSS()
		r.phase.Store("durable")
		ok = r.durablePhase() && ok
	}
	if r.aborted.Load() {
		return 1
	}
	if !ok {
		return 1
	}
	if r.pid > 0 && debugAddr != "" {
		r.memoryAfterMessages(baseMem, debugAddr)
	}
	return 0
}

func (r *runner) deadlineDur(d time.Duration) time.Duration { return time.Until(r.deadline(d)) }

// connect sets up sessions, all at once (--connect-burst) or a bounded
// number at a time, and returns each one's setup time.
// connectInto connects cs and appends those that got a connection to
// *into (under r.mu, which guards the lists).
func (r *runner) connectInto(cs []*client, stuck bool, ctr *counters, into *[]*client) []error {
	_, errs := r.connect(cs, stuck, ctr)
	r.mu.Lock()
	for _, c := range cs {
		if c.conn != nil {
			*into = append(*into, c)
		}
	}
	r.mu.Unlock()
	return errs
}

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
			addr := o.addr
			if c.addr != "" {
				addr = c.addr // --cluster-compare: the client's node
			}
			err := c.dial(addr, min(o.dialTimeout, max(time.Until(r.end), time.Millisecond)), stuck, ctr, o.m, o.senders, o.probes)
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
