package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// userHZ is the unit of utime/stime in /proc/PID/stat; Linux exports it as
// 100 on every architecture regardless of the kernel's HZ.
const userHZ = 100

// spawned is a server process the tool started.
type spawned struct {
	cmd  *exec.Cmd
	dir  string
	addr string
	// debugAddr serves /debug/pprof/ and POST /debug/freeosmemory
	// (readMemory); empty if the server cannot.
	debugAddr string
	log       *logTail
	exited    chan struct{}
	waitErr   error
}

// freeLoopbackPort asks the kernel for a free port on 127.0.0.1.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// serverFlags lists the flags the server binary at path accepts, from its
// --help output (bounded by a timeout).
func serverFlags(path string) map[string]bool {
	cmd := exec.Command(path, "--help")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	flags := map[string]bool{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "-") {
			flags[strings.TrimLeft(f[0], "-")] = true
		}
	}
	return flags
}

func spawnServer(path, outFile string, extra []string, wait time.Duration) (*spawned, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sshchat-load-")
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{
		"--addr", addr,
		"--max-conns", "-1",
		"--max-conns-per-ip", "-1",
		"--host-key", filepath.Join(dir, "keys", "ssh_host_ed25519"),
		"--data", filepath.Join(dir, "data"),
		"--log-level", "warn",
	}
	// Newer servers also cap new connections per address per minute; the
	// load comes from one address, so lift that too when it exists.
	flags := serverFlags(path)
	if flags["new-conns-per-ip"] {
		args = append(args, "--new-conns-per-ip", "-1")
	}
	// and the cap on connections still in their handshake, which a
	// --connect-burst of a thousand would pass.
	if flags["max-startups"] {
		args = append(args, "--max-startups", "off")
	}
	// Its debug endpoints, for steady memory readings (memory.go).
	debugAddr := ""
	if flags["metrics"] && flags["pprof"] {
		debugPort, err := freeLoopbackPort()
		if err != nil {
			return nil, err
		}
		debugAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(debugPort))
		args = append(args, "--metrics", debugAddr, "--pprof")
	}
	args = append(args, extra...)
	s, err := startProcess(path, args, dir, addr, outFile, wait)
	if err != nil {
		return nil, err
	}
	s.debugAddr = debugAddr
	return s, nil
}

// startProcess runs path with args in dir (removed when it stops) and
// waits until it accepts TCP connections on addr.
func startProcess(path string, args []string, dir, addr, outFile string, wait time.Duration) (*spawned, error) {
	s := &spawned{dir: dir, addr: addr, log: &logTail{max: 4 << 20}, exited: make(chan struct{})}
	s.cmd = exec.Command(path, args...)
	s.cmd.Dir = dir
	// Should the load tool itself die, the kernel kills what it started.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out io.Writer = s.log
	if outFile != "" {
		f, err := os.Create(outFile)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		out = io.MultiWriter(s.log, f) // the file is closed when the process exits
		defer func() { go func() { <-s.exited; f.Close() }() }()
	}
	s.cmd.Stdout = out
	s.cmd.Stderr = out
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(wait)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.exited:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("server exited before listening (%v); output:\n%s", s.waitErr, s.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop(5 * time.Second)
			return nil, fmt.Errorf("server not accepting on %s after %v", addr, wait)
		}
	}
}

// stop sends SIGTERM and waits (bounded) for the exit; then SIGKILL. It
// returns the exit code and how long the server took.
func (s *spawned) stop(grace time.Duration) (code int, took time.Duration, killed bool) {
	defer os.RemoveAll(s.dir)
	t0 := time.Now()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(grace):
		killed = true
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	took = time.Since(t0)
	code = 0
	var ee *exec.ExitError
	if errors.As(s.waitErr, &ee) {
		code = ee.ExitCode()
	} else if s.waitErr != nil {
		code = -1
	}
	return code, took, killed
}

// logTail keeps the last max bytes of the server's output and counts
// lines that matter to the report.
type logTail struct {
	mu      sync.Mutex
	max     int
	partial []byte
	lines   []string // complete lines, bounded by max bytes in total
	size    int
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		l.lines = append(l.lines, line)
		l.size += len(line)
		for l.size > l.max && len(l.lines) > 1 {
			l.size -= len(l.lines[0])
			l.lines = l.lines[1:]
		}
	}
	return len(p), nil
}

func (l *logTail) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *logTail) String() string { return strings.Join(l.Lines(), "\n") }

// procRSS returns VmRSS and VmHWM of pid in KiB.
func procRSS(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			rss, _ = strconv.ParseInt(strings.Fields(line)[1], 10, 64)
		case strings.HasPrefix(line, "VmHWM:"):
			hwm, _ = strconv.ParseInt(strings.Fields(line)[1], 10, 64)
		}
	}
	return rss, hwm, sc.Err()
}

// procCPU returns utime+stime of pid in seconds, and its thread count.
func procCPU(pid int) (secs float64, threads int, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name may contain spaces; fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("bad /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime 15, threads 20.
	if len(f) < 18 {
		return 0, 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	threads, _ = strconv.Atoi(f[17])
	return float64(ut+st) / userHZ, threads, nil
}

// procFDs counts pid's open file descriptors.
func procFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// hostCPU returns the machine's CPU time in seconds from /proc/stat:
// user (incl. nice), system, irq+softirq, idle (incl. iowait) and steal.
// Steal is time the hypervisor gave to someone else, which makes latency
// figures from a shared machine suspect.
type hostTimes struct{ user, sys, irq, idle, steal float64 }

func hostCPU() hostTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return hostTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return hostTimes{}
	}
	v := make([]float64, len(f)-1)
	for i := range v {
		n, _ := strconv.ParseInt(f[i+1], 10, 64)
		v[i] = float64(n) / userHZ
	}
	// user nice system idle iowait irq softirq steal ...
	return hostTimes{user: v[0] + v[1], sys: v[2], irq: v[5] + v[6], idle: v[3] + v[4], steal: v[7]}
}

func (a hostTimes) sub(b hostTimes) hostTimes {
	return hostTimes{a.user - b.user, a.sys - b.sys, a.irq - b.irq, a.idle - b.idle, a.steal - b.steal}
}
