package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestFlagsFromEnvironmentAndCommandLine(t *testing.T) {
	o, err := parseFlags([]string{"--max-line", "200"}, env(map[string]string{
		"SSHCHAT_ADDR":             "127.0.0.1:2022",
		"SSHCHAT_MAX_LINE":         "500",
		"SSHCHAT_MAX_CONNS_PER_IP": "3",
		"SSHCHAT_LOG_FORMAT":       "json",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.Addr != "127.0.0.1:2022" || o.cfg.MaxConnsPerIP != 3 || o.logFormat != "json" {
		t.Fatalf("environment not applied: %+v", o)
	}
	if o.cfg.MaxLine != 200 {
		t.Fatalf("command line must win over the environment: max-line %d", o.cfg.MaxLine)
	}
	if _, err := parseFlags(nil, env(map[string]string{"SSHCHAT_MAX_LINE": "lots"}), io.Discard); err == nil || !strings.Contains(err.Error(), "SSHCHAT_MAX_LINE") {
		t.Fatalf("bad environment value: %v", err)
	}
	if _, err := parseFlags([]string{"--help"}, env(nil), io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	if _, err := newLogger(io.Discard, "loud", "text"); err == nil {
		t.Fatal("bad log level accepted")
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	var out strings.Builder
	if code := run([]string{"--help"}, &out, io.Discard); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, f := range []string{"addr", "host-key", "data", "motd", "max-line", "max-conns", "max-conns-per-ip", "log-level", "log-format", "version", "SSHCHAT_"} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("--help does not mention %s", f)
		}
	}
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+) host_key=(\S+)`)

// startBinary runs the real sshchat binary and returns its address and host
// key fingerprint from its log.
func startBinary(t *testing.T, bin string, args ...string) (*exec.Cmd, string, string) {
	t.Helper()
	cmd, addr, log := startBinaryLogged(t, bin, args...)
	m := listening.FindStringSubmatch(log.waitLine(t, "msg=listening", 1))
	return cmd, addr, m[2]
}

// buildBinary builds the sshchat binary into a fresh folder and returns
// the folder and the binary's path.
func buildBinary(t *testing.T) (dir, bin string) {
	t.Helper()
	dir = t.TempDir()
	bin = filepath.Join(dir, "sshchat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return dir, bin
}

func TestBinaryHostKeyAndSignalShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir, bin := buildBinary(t)
	keyPath := filepath.Join(dir, "keys", "ssh_host_ed25519")
	args := []string{"--addr", "127.0.0.1:0", "--host-key", keyPath, "--data", filepath.Join(dir, "data")}

	// The first run generates the host key, the second must reuse it.
	var firstFingerprint string
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd, addr, fingerprint := startBinary(t, bin, args...)
		checkHostKeyFiles(t, keyPath)
		if firstFingerprint == "" {
			firstFingerprint = fingerprint
		} else if fingerprint != firstFingerprint {
			t.Fatalf("host key changed across restarts: %s then %s", firstFingerprint, fingerprint)
		}

		tty := sshchattest.Dial(t, addr, sshchattest.Options{User: "tty", PTY: true})
		tty.WaitFor("Welcome")
		bot := sshchattest.Dial(t, addr, sshchattest.Options{User: "bot"})
		bot.WaitFor("Welcome")
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*sshchattest.Client{tty, bot} {
			c.WaitFor("The server is shutting down. Goodbye!")
			if err := c.WaitClosed(); err != nil {
				t.Fatalf("%v: session ended with %v, want status 0", sig, err)
			}
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("%v: process exited with %v, want 0", sig, err)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("%v: process still running", sig)
		}
	}
}

func checkHostKeyFiles(t *testing.T, keyPath string) {
	t.Helper()
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("host key mode %o, want 600", perm)
	}
	di, err := os.Stat(filepath.Dir(keyPath))
	if err != nil {
		t.Fatal(err)
	}
	if perm := di.Mode().Perm(); perm != 0o700 {
		t.Errorf("host key folder mode %o, want 700", perm)
	}
}

// TestMain fails the package if a test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
