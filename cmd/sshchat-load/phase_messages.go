package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The message phase: latency, loss and server CPU of lines every client
// sends and every client receives.

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
	cpu0, nats0 := r.serverCPU(), r.natsCPU()
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
	cpu1, nats1 := r.serverCPU(), r.natsCPU()
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
		for _, l := range c.latCross {
			lats = append(lats, time.Duration(l))
		}
		if len(c.lat)+len(c.latCross) < o.senders*o.m {
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
		other := h.user + h.sys + h.irq - cpu - (nats1 - nats0) - (ru1 - ru0)
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
	if r.cl != nil {
		r.reportClusterCPU(cpu, nats1-nats0, got)
		r.reportLatencySplit()
	}
	if fl != nil {
		r.reportFlood(fl, t0, drainEnd, cpu0)
	}
	if len(r.stuck) > 0 {
		r.reportStuck(t0)
	}
	return done && sendErrs.Load() == 0
}
