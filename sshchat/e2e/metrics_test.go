package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // to lock the store from outside

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// scrape reads /metrics into a map from series ("name{labels}") to value.
func scrape(t *testing.T, srv *sshchattest.Server) map[string]float64 {
	t.Helper()
	status, body := srv.Get(t, "/metrics")
	if status != 200 {
		t.Fatalf("/metrics: status %d\n%s", status, body)
	}
	series := make(map[string]float64)
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// waitMetrics scrapes until ok holds (30 s at most) and returns that scrape.
func waitMetrics(t *testing.T, srv *sshchattest.Server, what string, ok func(m map[string]float64) bool) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		m := scrape(t, srv)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed %s; last scrape:\n%v", what, m)
		}
		<-tick.C
	}
}

// TestMetricsCountWhatClientsDo drives real SSH clients through a chat and
// checks that the counters and the fan-out histogram moved by exactly what
// they did: N lines to M members are N×M deliveries and N×M latency
// observations.
func TestMetricsCountWhatClientsDo(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{MaxLine: 100, Version: "v9.9.9-test", Commit: "abc123"})
	const members, perMember = 4, 5
	var clients []*sshchattest.Client
	for i := range members {
		opts := sshchattest.Options{User: fmt.Sprintf("m%d", i)}
		if i == 0 {
			opts.PTY = true
		}
		clients = append(clients, dialWelcome(t, srv.Addr, opts))
	}
	for _, c := range clients {
		c.WaitFor(fmt.Sprintf("(%d here)", members))
	}

	// A client can see a line a moment before its writer records the
	// write: wait until every delivery so far is recorded as written.
	before := waitMetrics(t, srv, "the sessions open and every delivery written", func(m map[string]float64) bool {
		return m[`sshchat_sessions_open{kind="pty"}`] == 1 && m[`sshchat_sessions_open{kind="plain"}`] == members-1 &&
			m["sshchat_fanout_latency_seconds_count"] == m["sshchat_deliveries_total"]
	})
	for name, want := range map[string]float64{
		"sshchat_connections_open": members,
		"sshchat_members_online":   members,
		"sshchat_known_keys":       members,
		`sshchat_build_info{commit="abc123",go_version="` + runtime.Version() + `",version="v9.9.9-test"}`: 1,
	} {
		if got := before[name]; got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if before[`sshchat_auth_attempts_total{method="publickey",outcome="accepted"}`] < members {
		t.Errorf("auth attempts: %v", before[`sshchat_auth_attempts_total{method="publickey",outcome="accepted"}`])
	}
	if before["sshchat_connections_accepted_total"] < members || before["sshchat_rooms"] < 1 {
		t.Errorf("connections accepted %v, rooms %v", before["sshchat_connections_accepted_total"], before["sshchat_rooms"])
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := before[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}

	for i, c := range clients {
		for j := range perMember {
			c.Send(fmt.Sprintf("line %d from m%d", j, i))
		}
	}
	for _, c := range clients {
		for i := range members {
			c.WaitFor(fmt.Sprintf("line %d from m%d", perMember-1, i))
		}
	}
	clients[1].Send(strings.Repeat("x", 150))
	clients[1].WaitFor("Not sent")

	const lines = members * perMember
	delta := func(m map[string]float64, name string) float64 { return m[name] - before[name] }
	after := waitMetrics(t, srv, "every delivery written", func(m map[string]float64) bool {
		return delta(m, "sshchat_fanout_latency_seconds_count") >= lines*members
	})
	for name, want := range map[string]float64{
		"sshchat_lines_accepted_total":                      lines,
		"sshchat_deliveries_total":                          lines * members,
		"sshchat_fanout_latency_seconds_count":              lines * members,
		`sshchat_fanout_latency_seconds_bucket{le="+Inf"}`:  lines * members,
		`sshchat_lines_refused_total{reason="too_long"}`:    1,
		`sshchat_lines_refused_total{reason="muted"}`:       0,
		"sshchat_lines_not_stored_total":                    0,
		`sshchat_sessions_cut_total{reason="stuck_writer"}`: 0,
	} {
		if got := delta(after, name); got != want {
			t.Errorf("%s moved by %v, want %v", name, got, want)
		}
	}
	if sum := delta(after, "sshchat_fanout_latency_seconds_sum"); sum <= 0 {
		t.Errorf("fan-out latency sum moved by %v", sum)
	}
	if got := delta(after, "sshchat_store_commit_batch_lines_sum"); got < lines {
		t.Errorf("store committed %v lines in batches, want at least %d", got, lines)
	}
	if delta(after, "sshchat_store_commit_duration_seconds_count") < 1 {
		t.Error("no store commit observed")
	}
}

// TestMetricsCountCutsAndRefusals: a kicked member is counted as cut for
// that reason, and a connection over the per-address cap as refused.
func TestMetricsCountCutsAndRefusals(t *testing.T) {
	opKey := sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{MaxConnsPerIP: 2}, opKey)
	victim := dialWelcome(t, srv.Addr, sshchattest.Options{User: "victim"})
	if _, err := sshchattest.TryDial(t, srv.Addr, sshchattest.Options{User: "third"}); err == nil {
		t.Fatal("a third connection from one address got in")
	}
	op.Send("/kick victim")
	victim.WaitDisconnected()
	waitMetrics(t, srv, "the kick and the refusal", func(m map[string]float64) bool {
		return m[`sshchat_sessions_cut_total{reason="kick"}`] == 1 &&
			m[`sshchat_connections_refused_total{reason="per_ip"}`] == 1 &&
			m[`sshchat_sessions_cut_total{reason="stuck_writer"}`] == 0
	})
}

// TestHealthAndReadiness: /healthz answers while the process serves;
// /readyz answers 503 while the store cannot be written (here: another
// process holds its write lock) and 200 again once it can.
func TestHealthAndReadiness(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	if status, body := srv.Get(t, "/healthz"); status != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", status, body)
	}
	if status, body := srv.Get(t, "/readyz"); status != 200 {
		t.Fatalf("/readyz: %d %q", status, body)
	}
	if status, _ := srv.Get(t, "/debug/pprof/"); status != 404 {
		t.Fatalf("pprof is served without --pprof: status %d", status)
	}

	db, err := sql.Open("sqlite", filepath.Join(srv.Cfg.DataDir, "sshchat.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, srv, "/readyz", 503)
	if status, body := srv.Get(t, "/healthz"); status != 200 {
		t.Fatalf("/healthz while the store is locked: %d %q", status, body)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, srv, "/readyz", 200)
}

// TestPprofOnlyWhenAsked: --pprof serves the profiles on the operator's
// listener.
func TestPprofOnlyWhenAsked(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{Pprof: true})
	if status, body := srv.Get(t, "/debug/pprof/"); status != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("/debug/pprof/: %d", status)
	}
}

func waitStatus(t *testing.T, srv *sshchattest.Server, path string, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		status, body := srv.Get(t, path)
		if status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: status %d (%q), want %d", path, status, body, want)
		}
		<-tick.C
	}
}
