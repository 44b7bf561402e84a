package main

import (
	"fmt"
	"slices"
	"time"
)

// The probe phase: the latency of a line sent right after the join burst.

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
