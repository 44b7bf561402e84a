package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// --baseline: the same load against the floor server and against sshchat,
// interleaved (floor, sshchat, floor, sshchat, ...) so that slow drifts of
// a shared machine hit both alike, then a table of medians and ratios.

// compared are the report keys the summary shows, with what they mean.
var compared = []struct {
	key, what string
	ratio     bool // a ratio to the floor means something
}{
	{"server_cpu_us_per_delivery", "server CPU per delivered line, µs", true},
	{"lat_p50_ms", "latency p50, ms", true},
	{"lat_p99_ms", "latency p99, ms", true},
	{"lost", "lines lost", false},
	{"rss_per_session_kib", "RSS per idle session, KiB", true},
	{"goroutines_per_session", "goroutines per idle session", true},
	{"stack_kib_per_session", "stacks per idle session, KiB", true},
	{"heap_inuse_kib_per_session", "heap in use per idle session, KiB", true},
	{"heap_live_kib_per_session", "live heap per idle session, KiB", true},
	{"runtime_other_kib_per_session", "runtime's own per idle session, KiB", true},
	{"rss_per_session_after_messages_kib", "RSS per session, idle after the messages, KiB", true},
	{"stack_kib_per_session_after_messages", "stacks per session, idle after the messages, KiB", true},
	{"mem_other_cpu_s", "other processes' CPU, joins to memory reading, s", false},
	{"server_cpu_ms_per_join", "server CPU per join, ms", true},
	{"join_all_ms", "all joined, ms", true},
	{"probe1_all_ms", "first probe reached all, ms", true},
	{"host_other_cpu_s", "other processes' CPU during the phase, s", false},
}

func runBaseline(o *options, stdout, stderr io.Writer) int {
	results := map[bool][]*kv{} // by floor
	code := 0
	for round := 1; round <= o.rounds; round++ {
		for _, floor := range []bool{true, false} {
			oc := *o
			oc.floor = floor
			fmt.Fprintf(stdout, "\n=== round %d of %d: %s ===\n", round, o.rounds, serverName(floor))
			c, res := runOnce(&oc, stdout, stderr)
			if c != 0 {
				code = c
			}
			results[floor] = append(results[floor], res)
		}
	}
	fmt.Fprintf(stdout, "\n=== sshchat against the %s floor: medians of %d interleaved rounds each ===\n", o.floorKind, o.rounds)
	fmt.Fprintf(stdout, "%-48s %10s %10s %8s %9s   %s\n", "", "floor", "sshchat", "ratio", "sshchat-floor", "per round: floor | sshchat")
	var sum kv
	sum.set("rounds", "%d", o.rounds)
	sum.set("floor_kind", "%s", o.floorKind)
	for _, c := range compared {
		f, fok := median(results[true], c.key)
		s, sok := median(results[false], c.key)
		if !fok && !sok {
			continue
		}
		ratio, diff := "-", "-"
		if c.ratio && fok && sok && f != 0 {
			ratio = fmt.Sprintf("%.2f", s/f)
			sum.set(c.key+"_ratio", "%s", ratio)
		}
		if c.ratio && fok && sok {
			diff = fmt.Sprintf("%+.2f", s-f)
			sum.set(c.key+"_diff", "%s", diff)
		}
		fmt.Fprintf(stdout, "%-48s %10s %10s %8s %9s   %s | %s\n", c.what, num(f, fok), num(s, sok), ratio, diff,
			perRound(results[true], c.key), perRound(results[false], c.key))
		if fok {
			sum.set(c.key+"_floor", "%s", num(f, true))
		}
		if sok {
			sum.set(c.key+"_sshchat", "%s", num(s, true))
		}
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, strings.Replace(sum.line(), "sshchat-load", "sshchat-load-baseline", 1))
	return code
}

func serverName(floor bool) string {
	if floor {
		return "floor"
	}
	return "sshchat"
}

// median is the median of key over runs that reported it.
func median(runs []*kv, key string) (float64, bool) {
	var v []float64
	for _, r := range runs {
		if x, ok := r.float(key); ok {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

func perRound(runs []*kv, key string) string {
	var parts []string
	for _, r := range runs {
		if x, ok := r.float(key); ok {
			parts = append(parts, num(x, true))
		} else {
			parts = append(parts, "-")
		}
	}
	return strings.Join(parts, " ")
}

func num(x float64, ok bool) string {
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// float reads key as a number.
func (r *kv) float(key string) (float64, bool) {
	if r == nil || r.vals == nil {
		return 0, false
	}
	s, ok := r.vals[key]
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil
}
