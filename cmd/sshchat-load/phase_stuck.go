package main

import (
	"fmt"
	"strings"
	"time"
)

// Clients that never read (--stuck): whether and when the server cut them off.

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
