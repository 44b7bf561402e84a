package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the load tool when a test
// re-executes it as a NATS or floor server (os.Executable is the test
// binary then).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == natsArg || os.Args[1] == floorArg) {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestClusterCompareFlags: the comparison starts every process itself
// (--spawn), is not mixed with the other comparisons or extra clients,
// bounds its durable flood, and lifts the server's pacing unless told.
func TestClusterCompareFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"--spawn", "x", "--cluster-compare"}, true},
		{[]string{"--spawn", "x", "--cluster-compare", "--cluster-r3=false", "--rounds", "1"}, true},
		{[]string{"--addr", "127.0.0.1:2222", "--cluster-compare"}, false},
		{[]string{"--spawn", "x", "--cluster-compare", "--baseline"}, false},
		{[]string{"--spawn", "x", "--cluster-compare", "--stuck", "1"}, false},
		{[]string{"--spawn", "x", "--cluster-compare", "--flooders", "1"}, false},
		{[]string{"--spawn", "x", "--cluster-compare", "--rounds", "0"}, false},
		{[]string{"--spawn", "x", "--cluster-compare", "--rounds", "21"}, false},
		{[]string{"--spawn", "x", "--cluster-compare", "--durable-flooders", "100", "--durable-lines", "200"}, true},
		{[]string{"--spawn", "x", "--cluster-compare", "--durable-flooders", "101", "--durable-lines", "200"}, false},
		{[]string{"--spawn", "x", "--cluster-compare", "--durable-lines", "-1"}, false},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if (err == nil) != tc.ok {
			t.Errorf("%q: error %v, want ok=%v", tc.args, err, tc.ok)
		}
	}
	o, err := parseFlags([]string{"--spawn", "x", "--cluster-compare", "--server-args", "--scrollback 10"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.serverArgs != "--scrollback 10 --rate 0" || !o.clusterR3 {
		t.Errorf("serverArgs %q, clusterR3 %v; want pacing lifted and R3 on by default", o.serverArgs, o.clusterR3)
	}
	for _, kept := range []string{"--rate 5", "--rate=5", "-rate 5"} {
		if got := withoutPacing(kept); got != kept {
			t.Errorf("withoutPacing(%q) = %q: an explicit --rate must stay", kept, got)
		}
	}
}

func TestClusterConfigsR3IsOptional(t *testing.T) {
	if got := len(clusterConfigs(true)); got != 4 {
		t.Errorf("with R3: %d configurations, want 4", got)
	}
	cs := clusterConfigs(false)
	if len(cs) != 3 {
		t.Fatalf("without R3: %d configurations, want 3", len(cs))
	}
	want := []clusterConfig{
		{key: "single", title: "1 node", nodes: 1},
		{key: "nats1", title: "1 node+NATS", nodes: 1, nats: 1, replicas: 1},
		{key: "two", title: "2 nodes+NATS", nodes: 2, nats: 1, replicas: 1},
	}
	for i := range want {
		if cs[i] != want[i] {
			t.Errorf("config %d = %+v, want %+v", i, cs[i], want[i])
		}
	}
}

// TestLatencySplitBySendersNode: a client on node 1 of 2 counts lines
// from senders on node 1 (odd senders) as same-node, the rest as
// cross-node; on one node everything is same-node.
func TestLatencySplitBySendersNode(t *testing.T) {
	const senders, m = 4, 2
	mk := func(node, nodes int) *client {
		return &client{node: node, nodes: nodes, seen: make([]uint64, 1)}
	}
	c, single := mk(1, 2), mk(0, 1)
	for s := range senders {
		for seq := range m {
			p := parsed{kind: lineMsg, sender: s, seq: seq, sentNs: 0}
			lat := int64((s + 1) * 1000)
			if !c.recordMsg(p, senders, m, lat) || !single.recordMsg(p, senders, m, lat) {
				t.Fatalf("sender %d line %d not recorded", s, seq)
			}
			if c.recordMsg(p, senders, m, lat) {
				t.Fatalf("sender %d line %d recorded twice", s, seq)
			}
		}
	}
	same, cross := splitLatencies([]*client{c})
	if want := []time.Duration{2000, 2000, 4000, 4000}; !equalDurations(same, want) {
		t.Errorf("same-node %v, want %v", same, want)
	}
	if want := []time.Duration{1000, 1000, 3000, 3000}; !equalDurations(cross, want) {
		t.Errorf("cross-node %v, want %v", cross, want)
	}
	same, cross = splitLatencies([]*client{single})
	if len(same) != senders*m || len(cross) != 0 {
		t.Errorf("one node: %d same-node, %d cross-node; want %d and 0", len(same), len(cross), senders*m)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStoredLinesCountsFirstDeliveries: a line delivered to many sessions
// is stored once, at its first delivery; the last of those ends the
// durable phase's clock.
func TestStoredLinesCountsFirstDeliveries(t *testing.T) {
	var s storedLines
	s.mark(parsed{sender: 0, seq: 0}, 3, 5) // before init: ignored
	s.init(6)
	for _, d := range []struct {
		sender, seq int
		at          int64
	}{{0, 0, 10}, {0, 0, 50}, {1, 2, 30}, {1, 2, 90}, {0, 1, 20}, {2, 0, 99}, {0, 3, 99}} {
		s.mark(parsed{sender: d.sender, seq: d.seq}, 3, d.at)
	}
	if got := s.count.Load(); got != 3 {
		t.Errorf("stored %d lines, want 3", got)
	}
	if got := s.last.Load(); got != 30 {
		t.Errorf("last first delivery at %d, want 30", got)
	}
}

func runsOf(key string, vals ...string) []*kv {
	var runs []*kv
	for _, v := range vals {
		r := &kv{}
		r.set(key, "%s", v)
		runs = append(runs, r)
	}
	return runs
}

func TestStatsAndCells(t *testing.T) {
	runs := runsOf("x", "3", "1", "2.5")
	med, lo, hi, ok := statsOf(runs, "x")
	if !ok || med != 2.5 || lo != 1 || hi != 3 {
		t.Errorf("statsOf = %v %v %v %v, want 2.5 1 3 true", med, lo, hi, ok)
	}
	for _, tc := range []struct {
		runs []*kv
		want string
	}{
		{runs, "2.50 [1-3]"},
		{runsOf("x", "0", "0", "0"), "0"},
		{runsOf("x", "12000", "9800.4"), "10900 [9800-12000]"},
		{runsOf("x", "12.26"), "12.3"},
		{runsOf("y", "1"), "-"},
	} {
		if got := cell(tc.runs, "x"); got != tc.want {
			t.Errorf("cell = %q, want %q", got, tc.want)
		}
	}
}

// TestClusterTableLayout: one column per configuration, rows only for
// figures some configuration reported, medians with ranges, and the
// targets computed from the medians.
func TestClusterTableLayout(t *testing.T) {
	configs := clusterConfigs(false)
	run := func(pairs ...string) *kv {
		r := &kv{}
		for i := 0; i < len(pairs); i += 2 {
			r.set(pairs[i], "%s", pairs[i+1])
		}
		return r
	}
	results := [][]*kv{
		{run("lat_p99_ms", "2", "lat_same_p99_ms", "2", "lost", "0", "durable_lost", "0"),
			run("lat_p99_ms", "4", "lat_same_p99_ms", "4", "lost", "0", "durable_lost", "0")},
		{run("lost", "0", "durable_lines_per_s", "900", "durable_lost", "0"),
			run("lost", "0", "durable_lines_per_s", "1100", "durable_lost", "0")},
		{run("lost", "0", "lat_same_p99_ms", "5", "lat_cross_p99_ms", "8", "durable_lost", "0"),
			run("lost", "2", "lat_same_p99_ms", "5", "lat_cross_p99_ms", "12", "durable_lost", "0")},
	}
	var b bytes.Buffer
	writeClusterTable(&b, configs, results)
	out := b.String()
	lines := strings.Split(out, "\n")
	find := func(prefix string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		t.Fatalf("no line starting %q in:\n%s", prefix, out)
		return ""
	}
	header := find(strings.Repeat(" ", 36))
	for i, c := range configs {
		if got := strings.Index(header, c.title); got < 0 || got+len(c.title) != 36+(i+1)*25 {
			t.Errorf("column %q ends at %d in header %q, want %d", c.title, got+len(c.title), header, 36+(i+1)*25)
		}
	}
	if f := strings.Fields(find("latency p99, cross-node, ms")); strings.Join(f[len(f)-4:], " ") != "- - 10 [8-12]" {
		t.Errorf("cross-node row %q", f)
	}
	if f := strings.Fields(find("lost lines (target 0)")); strings.Join(f[len(f)-4:], " ") != "0 0 1 [0-2]" {
		t.Errorf("lost row %q", f)
	}
	if strings.Contains(out, "RSS NATS") {
		t.Errorf("a row no configuration reported is shown:\n%s", out)
	}
	// Cross-node p99 10 against one node's 3: +7 ms, over the target.
	if l := find("2 nodes+NATS: cross-node p99"); !strings.Contains(l, "+7.00 ms (target at most +5 ms: NOT met)") ||
		!strings.Contains(l, "same-node p99: +5.00 ms") {
		t.Errorf("target line %q", l)
	}
	if l := find("lost lines, worst round"); !strings.Contains(l, "2 nodes+NATS 2") || !strings.Contains(l, "NOT met") {
		t.Errorf("lost line %q", l)
	}
	if l := find("durable lines/s through one NATS server (1 node)"); !strings.Contains(l, ": 1000 (") {
		t.Errorf("durable line %q", l)
	}
	if l := find("sshchat-load-cluster"); !strings.Contains(l, " cross_p99_minus_single_ms_two=7.00") ||
		!strings.Contains(l, " lat_cross_p99_ms_two=10 ") {
		t.Errorf("summary %q", l)
	}
}

// TestClusterCompareSmoke runs the comparison at tiny scale against the
// real sshchat binary and real NATS server processes: every
// configuration reports, none loses a line, and every process and temp
// folder is gone at the end.
func TestClusterCompareSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "sshchat")
	if out, err := exec.Command("go", "build", "-o", bin, "../sshchat").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp) // every folder the tool and its servers make
	var out bytes.Buffer
	code := run([]string{"--spawn", bin, "--cluster-compare", "--rounds", "1",
		"-n", "6", "--senders", "2", "-m", "3", "--probes", "1", "--settle", "100ms",
		"--durable-flooders", "2", "--durable-lines", "20", "--timeout", "50s"}, &out, &out)
	report := out.String()
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, report)
	}
	var summary string
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(l, "sshchat-load-cluster ") {
			summary = l
		}
	}
	for _, c := range clusterConfigs(true) {
		for _, want := range []string{" lost_" + c.key + "=0 ", " durable_lost_" + c.key + "=0 "} {
			if !strings.Contains(summary+" ", want) {
				t.Errorf("summary lacks %q:\n%s", want, report)
			}
		}
	}
	if !strings.Contains(summary, " lat_cross_p99_ms_two=") || !strings.Contains(summary, " durable_stream_msgs_nats1=") {
		t.Errorf("summary lacks the cross-node latency or the stream count:\n%s", summary)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}
