package main

import (
	"fmt"
	"strings"
	"syscall"
	"time"
)

// The report: the key=value line, percentiles, the tool's own CPU.

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

func serverWarnings(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic") {
			out = append(out, l)
		}
	}
	return out
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
