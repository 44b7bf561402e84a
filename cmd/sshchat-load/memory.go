package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Steady memory readings. A server's RSS right after a join burst counts
// whatever garbage the burst left for the collector, which depends on when
// the last collection happened: two readings of the same server differ by
// more than the few KiB per session being compared. So both servers (the
// floor and sshchat) serve the same debug endpoints on a loopback address
// (sshchat: --metrics with --pprof), and before each RSS reading the tool
// asks for a collection that also returns freed memory to the OS
// (POST /debug/freeosmemory, debug.FreeOSMemory). Then it reads RSS from
// /proc and, from the runtime itself (/debug/pprof/heap?debug=1 and
// /debug/pprof/goroutine?debug=1), goroutines, stack and heap in use,
// which say where the KiB per session go.

// memReading is one reading of the server's memory.
type memReading struct {
	rss, hwm   int64 // KiB, from /proc
	goroutines int64
	stackInuse int64 // bytes: goroutine stacks (runtime.MemStats.StackInuse)
	heapInuse  int64 // bytes: spans holding objects, live or not yet swept (HeapInuse)
	heapAlloc  int64 // bytes: live objects after the collection (HeapAlloc)
	other      int64 // bytes: the runtime's own (MSpanInuse + MCacheInuse + BuckHashSys + GCSys + OtherSys; the last three mapped, not all resident)
	runtime    bool  // the runtime figures were read
}

// debugClient asks a server's debug endpoints; every request is bounded.
var debugClient = &http.Client{Timeout: 30 * time.Second}

// readMemory collects garbage in the server (when it serves the debug
// endpoints; steady reports whether it did) and reads its memory.
func (r *runner) readMemory(debugAddr string) (m memReading, steady bool, err error) {
	if debugAddr != "" {
		// Go shrinks a goroutine's stack by half at most per collection
		// (when it uses under a quarter of it): an idle server reaches
		// its steady size after a few (one every 2 minutes even when
		// idle), so the reading is taken after --gc-cycles of them.
		steady = true
		for range max(r.o.gcCycles, 1) {
			steady = steady && postOK("http://"+debugAddr+"/debug/freeosmemory")
		}
	}
	m.rss, m.hwm, err = procRSS(r.pid)
	if err != nil || !steady {
		return m, steady, err
	}
	if err := memStats("http://"+debugAddr+"/debug/pprof/heap?debug=1", &m); err != nil {
		r.logf("server memory statistics: %v", err)
		return m, steady, nil
	}
	if n, err := goroutineTotal("http://" + debugAddr + "/debug/pprof/goroutine?debug=1"); err == nil {
		m.goroutines = n
		m.runtime = true
	}
	return m, steady, nil
}

func postOK(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return false
	}
	resp, err := debugClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func get(url string) (io.ReadCloser, error) {
	resp, err := debugClient.Get(url)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

// memStats reads the runtime.MemStats lines ("# HeapInuse = 123") at the
// end of a debug=1 heap profile.
func memStats(url string, m *memReading) error {
	body, err := get(url)
	if err != nil {
		return err
	}
	defer body.Close()
	fields := map[string]int64{}
	sc := bufio.NewScanner(io.LimitReader(body, 64<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "# "), " = ")
		if !ok {
			continue
		}
		// "# Stack = inuse / sys" and the like: the first is what is used.
		val, _, _ = strings.Cut(val, " / ")
		if n, err := strconv.ParseInt(val, 10, 64); err == nil {
			fields[name] = n
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if _, ok := fields["HeapInuse"]; !ok {
		return fmt.Errorf("no memory statistics in %s", url)
	}
	m.stackInuse = fields["Stack"]
	m.heapInuse = fields["HeapInuse"]
	m.heapAlloc = fields["HeapAlloc"]
	m.other = fields["MSpan"] + fields["MCache"] + fields["BuckHashSys"] + fields["GCSys"] + fields["OtherSys"]
	return nil
}

// goroutineTotal reads "goroutine profile: total N".
func goroutineTotal(url string) (int64, error) {
	body, err := get(url)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	line, err := bufio.NewReader(io.LimitReader(body, 4<<10)).ReadString('\n')
	if err != nil {
		return 0, err
	}
	_, n, ok := strings.Cut(strings.TrimSpace(line), "total ")
	if !ok {
		return 0, fmt.Errorf("unexpected goroutine profile header %q", line)
	}
	return strconv.ParseInt(n, 10, 64)
}

// reportMemory logs and records the memory per idle session: after minus
// before, divided by the sessions.
func (r *runner) reportMemory(before, after memReading, steady bool, n int) {
	per := float64(after.rss-before.rss) / float64(n)
	how := "no collection forced (the server serves no /debug/freeosmemory)"
	if steady {
		how = fmt.Sprintf("after %d× debug.FreeOSMemory in the server", max(r.o.gcCycles, 1))
	}
	r.logf("server RSS with %d idle sessions: %d KiB (peak %d KiB, fds %d) => %.1f KiB per session, %s",
		n, after.rss, after.hwm, procFDs(r.pid), per, how)
	r.kv.set("rss_after_kib", "%d", after.rss)
	r.kv.set("rss_hwm_kib", "%d", after.hwm)
	r.kv.set("rss_per_session_kib", "%.1f", per)
	r.kv.set("rss_steady", "%v", steady)
	if !before.runtime || !after.runtime {
		return
	}
	kib := func(a, b int64) float64 { return float64(a-b) / 1024 / float64(n) }
	g := float64(after.goroutines-before.goroutines) / float64(n)
	r.logf("  per idle session: %.2f goroutines, stacks %.1f KiB, heap in use %.1f KiB (live %.1f KiB), runtime's own %.1f KiB",
		g, kib(after.stackInuse, before.stackInuse), kib(after.heapInuse, before.heapInuse),
		kib(after.heapAlloc, before.heapAlloc), kib(after.other, before.other))
	r.kv.set("goroutines_per_session", "%.2f", g)
	r.kv.set("stack_kib_per_session", "%.1f", kib(after.stackInuse, before.stackInuse))
	r.kv.set("heap_inuse_kib_per_session", "%.1f", kib(after.heapInuse, before.heapInuse))
	r.kv.set("heap_live_kib_per_session", "%.1f", kib(after.heapAlloc, before.heapAlloc))
	r.kv.set("runtime_other_kib_per_session", "%.1f", kib(after.other, before.other))
}

// saveProfiles writes the server's heap profile and its goroutines (with
// their stacks, aggregated) into dir, named after the server and the run.
func (r *runner) saveProfiles(debugAddr, dir string) {
	if debugAddr == "" || dir == "" {
		return
	}
	name := serverName(r.o.floor)
	if r.o.floor {
		name += "-" + r.o.floorKind
	}
	name = fmt.Sprintf("%s-n%d-%s", name, r.o.n, time.Now().Format("150405"))
	for _, p := range []struct{ path, file string }{
		{"/debug/pprof/heap", name + ".heap.pb.gz"},
		{"/debug/pprof/goroutine?debug=1", name + ".goroutines.txt"},
	} {
		if err := fetchTo("http://"+debugAddr+p.path, filepath.Join(dir, p.file)); err != nil {
			r.logf("profile: %v", err)
			continue
		}
		r.logf("saved %s", filepath.Join(dir, p.file))
	}
}

func fetchTo(url, path string) error {
	body, err := get(url)
	if err != nil {
		return err
	}
	defer body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, io.LimitReader(body, 256<<20)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// reportOtherCPU records the CPU that neither the server nor this tool
// used since h0/self0/cpu0 were read: other workloads on a shared
// machine, which make a reading less trustworthy.
func (r *runner) reportOtherCPU(h0 hostTimes, self0, cpu0 float64, during string) {
	if r.pid <= 0 || r.pid == os.Getpid() {
		return
	}
	cpu1, _, err := procCPU(r.pid)
	if err != nil {
		return
	}
	h := hostCPU().sub(h0)
	other := h.user + h.sys + h.irq - (cpu1 - cpu0) - (selfCPU() - self0)
	r.logf("  CPU used by other processes %s: %.2fs (machine idle %.2fs)", during, other, h.idle)
	r.kv.set("mem_other_cpu_s", "%.2f", other)
}

// memoryAfterMessages reads memory again once the message phase is over
// and every session is idle again: the stacks that grew while writing
// and reading the burst should be back to their idle size (Go halves a
// stack at a collection while it uses under a quarter of it), and nothing
// the burst allocated should stay with the sessions.
func (r *runner) memoryAfterMessages(base memReading, debugAddr string) {
	time.Sleep(min(r.o.settle, time.Until(r.end)))
	m, steady, err := r.readMemory(debugAddr)
	if err != nil || !steady || !m.runtime || !base.runtime {
		return
	}
	n := float64(r.o.n)
	kib := func(a, b int64) float64 { return float64(a-b) / 1024 / n }
	r.logf("after the message phase, per idle session: RSS %.1f KiB, stacks %.1f KiB, live heap %.1f KiB",
		float64(m.rss-base.rss)/n, kib(m.stackInuse, base.stackInuse), kib(m.heapAlloc, base.heapAlloc))
	r.kv.set("rss_per_session_after_messages_kib", "%.1f", float64(m.rss-base.rss)/n)
	r.kv.set("stack_kib_per_session_after_messages", "%.1f", kib(m.stackInuse, base.stackInuse))
	r.kv.set("heap_live_kib_per_session_after_messages", "%.1f", kib(m.heapAlloc, base.heapAlloc))
}
