package main

import (
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

func TestHelpGoesToStdoutWithPlaceholders(t *testing.T) {
	var stdout, stderr strings.Builder
	if code := run([]string{"--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	if stderr.Len() != 0 {
		t.Errorf("--help wrote to stderr: %q", stderr.String())
	}
	for _, want := range []string{"--new-conns-per-ip N", "--retention DURATION", "--max-line BYTES", "--metrics ADDRESS", "--pprof", "sshchat healthcheck", "(default :2222)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("--help does not show %q:\n%s", want, stdout.String())
		}
	}
}

func TestBadFlagIsOneLinePointingToHelp(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"--max-line", "lots"}, {"stray"}} {
		var stdout, stderr strings.Builder
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if lines := strings.Count(stderr.String(), "\n"); lines != 1 || !strings.Contains(stderr.String(), "--help") {
			t.Errorf("%q: want one line pointing to --help, got %q", args, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: wrote to stdout: %q", args, stdout.String())
		}
	}
}

func TestVersionGoesToStdout(t *testing.T) {
	var stdout, stderr strings.Builder
	if code := run([]string{"--version"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--version exit %d", code)
	}
	out := stdout.String()
	if !strings.HasPrefix(out, "sshchat ") || !strings.Contains(out, "commit ") || !strings.Contains(out, "built ") && !strings.Contains(out, "committed ") || stderr.Len() != 0 {
		t.Fatalf("--version: stdout %q, stderr %q", out, stderr.String())
	}
}

// A container that sets SSHCHAT_VERSION (a common name for the image's
// version) must still start a server.
func TestVersionInTheEnvironmentDoesNotStopTheServer(t *testing.T) {
	for _, v := range []string{"true", "1.4.2"} {
		o, err := parseFlags(nil, env(map[string]string{"SSHCHAT_VERSION": v}), io.Discard)
		if err != nil || o.showVersion {
			t.Errorf("SSHCHAT_VERSION=%s: showVersion %v, err %v", v, o.showVersion, err)
		}
	}
}

// TestFlagsThatWouldMeanSomethingElseAreRefused: values the server would
// otherwise read as "default" or nonsense get a clear error.
func TestFlagsThatWouldMeanSomethingElseAreRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-line", "0"}, "--max-line 0"},
		{[]string{"--max-conns", "0"}, "use -1 for no cap"},
		{[]string{"--max-conns-per-ip", "0"}, "--max-conns-per-ip 0"},
		{[]string{"--new-conns-per-ip", "-5"}, "--new-conns-per-ip -5"},
		{[]string{"--rate", "-3"}, "--rate -3"},
		{[]string{"--rate", "NaN"}, "--rate NaN"},
		{[]string{"--burst", "0"}, "--burst 0"},
		{[]string{"--scrollback", "-2"}, "--scrollback -2"},
		{[]string{"--retention", "-1h"}, "retention"},
		{[]string{"--pprof"}, "--pprof needs --metrics"},
		{[]string{"--metrics", ":2222"}, "must not be the chat's address"},
	} {
		_, err := parseFlags(tc.args, env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
	// The spellings the help documents keep their meaning.
	o, err := parseFlags([]string{"--scrollback", "0", "--rate", "0", "--max-conns", "-1"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.Scrollback != -1 || o.cfg.Rate != -1 || o.cfg.MaxConns != -1 {
		t.Errorf("scrollback %d, rate %v, max-conns %d: want -1 (none, off, no cap)", o.cfg.Scrollback, o.cfg.Rate, o.cfg.MaxConns)
	}
}

func TestJSONLogDurationsAreSeconds(t *testing.T) {
	var buf bytes.Buffer
	logger, err := newLogger(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("session end", "duration", 1500*time.Millisecond)
	if !strings.Contains(buf.String(), `"duration":1.5`) {
		t.Fatalf("log line %s: want duration 1.5 (seconds)", buf.String())
	}
}

func TestHealthcheckProbesReadiness(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	addr := strings.TrimPrefix(srv.OpsURL, "http://")
	var stdout, stderr strings.Builder
	if code := run([]string{"healthcheck"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "SSHCHAT_METRICS") {
		t.Errorf("no address: exit %d, stderr %q; want 2 naming SSHCHAT_METRICS", code, stderr.String())
	}
	if code := healthcheck(nil, env(map[string]string{"SSHCHAT_METRICS": addr}), io.Discard, io.Discard); code != 0 {
		t.Errorf("ready server: exit %d", code)
	}
	if code := healthcheck([]string{"--url", srv.OpsURL + "/nothing"}, env(nil), io.Discard, io.Discard); code != 1 {
		t.Errorf("404: exit %d, want 1", code)
	}
	srv.Stop(t)
	if code := healthcheck([]string{"--metrics", addr}, env(nil), io.Discard, io.Discard); code != 1 {
		t.Errorf("stopped server: exit %d, want 1", code)
	}
	for in, want := range map[string]string{":9090": "http://127.0.0.1:9090/readyz", "[::]:9090": "http://[::1]:9090/readyz", "10.0.0.5:9090": "http://10.0.0.5:9090/readyz"} {
		if got, err := readyURL(in); err != nil || got != want {
			t.Errorf("readyURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestVersionStampedAtBuild: the Docker build has no .git, so it stamps
// the version, commit and date with -ldflags; --version prints them.
func TestVersionStampedAtBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "sshchat")
	build := exec.Command("go", "build", "-o", bin, "-ldflags",
		"-X main.version=v1.2.3 -X main.commit=0123abc -X main.date=2026-11-30T00:00:00Z", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "sshchat v1.2.3 (commit 0123abc, built 2026-11-30T00:00:00Z, "; !strings.HasPrefix(string(out), want) {
		t.Fatalf("--version printed %q, want it to start with %q", out, want)
	}
}

var metricsListening = regexp.MustCompile(`msg="serving metrics and health checks" addr=(\S+)`)

// TestBinaryServesMetricsAndHealthcheck runs the real binary with
// --metrics (and SSHCHAT_VERSION=true in its environment, which must not
// stop it), then its own healthcheck subcommand against it, as a container
// HEALTHCHECK would.
func TestBinaryServesMetricsAndHealthcheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir, bin := buildBinary(t)
	t.Setenv("SSHCHAT_VERSION", "true")
	cmd, _, log := startBinaryLogged(t, bin, "--addr", "127.0.0.1:0", "--metrics", "127.0.0.1:0",
		"--host-key", filepath.Join(dir, "keys", "ssh_host_ed25519"), "--data", filepath.Join(dir, "data"))
	m := metricsListening.FindStringSubmatch(log.waitLine(t, "serving metrics", 1))
	if m == nil {
		t.Fatal("cannot read the metrics address from the log")
	}
	out, err := exec.Command(bin, "healthcheck", "--metrics", m[1]).CombinedOutput()
	if err != nil {
		t.Fatalf("healthcheck: %v\n%s", err, out)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	log.waitLine(t, "msg=stopped", 1)
	if out, err := exec.Command(bin, "healthcheck", "--metrics", m[1]).CombinedOutput(); err == nil {
		t.Fatalf("healthcheck of a stopped server passed:\n%s", out)
	}
}
