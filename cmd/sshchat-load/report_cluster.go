package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// The table of --cluster-compare: one column per configuration, each cell
// the median over the rounds with the range [min-max], then the figures
// issue 11's targets name.

// clusterRows are the table's rows: report keys and what they mean.
var clusterRows = []struct{ key, what string }{
	{"deliveries_per_s", "deliveries/s"},
	{"lost", "lost lines (target 0)"},
	{"lat_same_p50_ms", "latency p50, same node, ms"},
	{"lat_same_p99_ms", "latency p99, same node, ms"},
	{"lat_cross_p50_ms", "latency p50, cross-node, ms"},
	{"lat_cross_p99_ms", "latency p99, cross-node, ms"},
	{"server_cpu_us_per_delivery", "CPU/delivered line, sshchat, µs"},
	{"nats_cpu_us_per_delivery", "CPU/delivered line, NATS, µs"},
	{"total_cpu_us_per_delivery", "CPU/delivered line, sum, µs"},
	{"rss_sshchat_kib", "RSS sshchat (all nodes), KiB"},
	{"rss_nats_kib", "RSS NATS (all servers), KiB"},
	{"durable_lines_per_s", "durable lines/s"},
	{"durable_lost", "durable phase: lost deliveries"},
	{"durable_stream_msgs", "durable phase: stream grew by"},
	{"host_other_cpu_s", "other processes' CPU, messages, s"},
	{"durable_other_cpu_s", "other processes' CPU, durable, s"},
}

// statsOf is the median, minimum and maximum of key over the runs that
// reported it.
func statsOf(runs []*kv, key string) (med, lo, hi float64, ok bool) {
	var v []float64
	for _, r := range runs {
		if x, ok := r.float(key); ok {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return 0, 0, 0, false
	}
	slices.Sort(v)
	med, _ = median(runs, key)
	return med, v[0], v[len(v)-1], true
}

// cell formats one table cell: "median [min-max]", or the median alone
// when every round had the same figure; "-" when no round reported it.
func cell(runs []*kv, key string) string {
	med, lo, hi, ok := statsOf(runs, key)
	if !ok {
		return "-"
	}
	if lo == hi {
		return short(med)
	}
	return fmt.Sprintf("%s [%s-%s]", short(med), short(lo), short(hi))
}

// short prints a figure with as many decimals as its size needs.
func short(x float64) string {
	switch a := max(x, -x); {
	case x == float64(int64(x)), a >= 100:
		return fmt.Sprintf("%.0f", x)
	case a >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// writeClusterTable prints the side-by-side table, the targets and one
// key=value summary line.
func writeClusterTable(w io.Writer, configs []clusterConfig, results [][]*kv) {
	rounds := 0
	for _, rs := range results {
		rounds = max(rounds, len(rs))
	}
	const label, col = 36, 24
	fmt.Fprintf(w, "\n=== one node, NATS and two nodes: medians [range] of %d interleaved round(s) ===\n", rounds)
	fmt.Fprintf(w, "%-*s", label, "")
	for _, c := range configs {
		fmt.Fprintf(w, " %*s", col, c.title)
	}
	fmt.Fprintln(w)
	var sum kv
	sum.set("rounds", "%d", rounds)
	for _, row := range clusterRows {
		cells := make([]string, len(configs))
		any := false
		for i := range configs {
			cells[i] = cell(results[i], row.key)
			if cells[i] != "-" {
				any = true
				med, _, _, _ := statsOf(results[i], row.key)
				sum.set(row.key+"_"+configs[i].key, "%s", short(med))
			}
		}
		if !any {
			continue
		}
		fmt.Fprintf(w, "%-*s", label, row.what)
		for _, c := range cells {
			fmt.Fprintf(w, " %*s", col, c)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	for _, line := range targetLines(configs, results, &sum) {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, strings.Replace(sum.line(), "sshchat-load", "sshchat-load-cluster", 1))
}

// targetLines are issue 11's targets against the medians: cross-node p99
// at most 5 ms above one node's p99, 0 lost, at least 10,000 durable
// lines/s through one NATS server.
func targetLines(configs []clusterConfig, results [][]*kv, sum *kv) []string {
	byKey := map[string][]*kv{}
	for i, c := range configs {
		byKey[c.key] = results[i]
	}
	var out []string
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	single, singleOK := median(byKey["single"], "lat_p99_ms")
	for _, c := range configs {
		if c.nodes < 2 {
			continue
		}
		cross, ok := median(byKey[c.key], "lat_cross_p99_ms")
		same, sameOK := median(byKey[c.key], "lat_same_p99_ms")
		if !ok || !singleOK {
			continue
		}
		d := cross - single
		line := fmt.Sprintf("%s: cross-node p99 minus one node's p99 (no NATS): %+.2f ms (target at most +5 ms: %s)", c.title, d, verdict(d <= 5))
		if sameOK {
			line += fmt.Sprintf("; minus its own same-node p99: %+.2f ms", cross-same)
		}
		out = append(out, line)
		sum.set("cross_p99_minus_single_ms_"+c.key, "%.2f", d)
	}
	var lost []string
	allZero := true
	for i, c := range configs {
		_, _, hi, ok := statsOf(results[i], "lost")
		_, _, dhi, dok := statsOf(results[i], "durable_lost")
		worst := max(hi, dhi)
		if !ok && !dok {
			lost = append(lost, c.title+" -")
			allZero = false
			continue
		}
		if worst != 0 {
			allZero = false
		}
		lost = append(lost, fmt.Sprintf("%s %.0f", c.title, worst))
	}
	out = append(out, fmt.Sprintf("lost lines, worst round, messages and durable phases: %s (target 0: %s)", strings.Join(lost, ", "), verdict(allZero)))
	if d, ok := median(byKey["nats1"], "durable_lines_per_s"); ok {
		out = append(out, fmt.Sprintf("durable lines/s through one NATS server (1 node): %.0f (target at least 10,000: %s)", d, verdict(d >= 10000)))
	}
	if d, ok := median(byKey["two"], "durable_lines_per_s"); ok {
		out = append(out, fmt.Sprintf("durable lines/s through one NATS server (2 nodes): %.0f", d))
	}
	var quiet []string
	for i, c := range configs {
		m, mok := median(results[i], "host_other_cpu_s")
		d, dok := median(results[i], "durable_other_cpu_s")
		quiet = append(quiet, fmt.Sprintf("%s %s/%s", c.title, num(m, mok), num(d, dok)))
	}
	out = append(out, "other processes' CPU-seconds during the message/durable phases (a busy machine inflates latency): "+strings.Join(quiet, ", "))
	return out
}
