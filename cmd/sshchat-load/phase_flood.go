package main

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Flooders (--flooders): clients that type many lines at once, during the
// message phase, and what that does to everyone else.

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
