//go:build loadprof

// The profiling build: go build -tags loadprof ./cmd/sshchat-load
//
// It adds --inprocess, which runs the sshchat server inside the load tool's
// own process, and --cpuprofile/--heapprofile/--goroutineprofile. The
// server's goroutines carry the pprof label side=server (inherited from the
// goroutine that runs Serve), the clients' do not, so
//
//	go tool pprof -tagfocus side=server cpu.prof
//
// shows the server's share of the CPU. Heap profiles carry no labels: focus
// on server frames instead (-focus 'charmbracelet|sshchat/sshchat').
package main

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/sshchat/sshchat/sshchat"
)

func init() {
	extraFlags = func(fs *flag.FlagSet, o *options) {
		fs.BoolVar(&o.inprocess, "inprocess", false, "run the server in this process (profiling build only)")
		fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the message phase to `file`")
		fs.StringVar(&o.heapProfile, "heapprofile", "", "write a heap profile after the joins to `file`")
		fs.StringVar(&o.goroutineOut, "goroutineprofile", "", "write a goroutine profile after the joins to `file`")
	}
	inprocStart = startInProcess
	profileHooks.afterConnect = func(o *options) {
		if o.heapProfile != "" {
			runtime.GC()
			writeProfile("heap", o.heapProfile)
		}
		if o.goroutineOut != "" {
			writeProfile("goroutine", o.goroutineOut)
		}
	}
	var cpuFile *os.File
	profileHooks.startCPU = func(o *options) {
		if o.cpuProfile == "" {
			return
		}
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return
		}
		if pprof.StartCPUProfile(f) == nil {
			cpuFile = f
		}
	}
	profileHooks.stopCPU = func(o *options) {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
			cpuFile = nil
		}
	}
}

func writeProfile(name, path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = pprof.Lookup(name).WriteTo(f, 0)
}

func startInProcess(o *options) (string, func() int, error) {
	dir, err := os.MkdirTemp("", "sshchat-load-inproc-")
	if err != nil {
		return "", nil, err
	}
	srv, err := sshchat.New(sshchat.Config{
		Addr:          "127.0.0.1:0",
		HostKeyPath:   filepath.Join(dir, "keys", "ssh_host_ed25519"),
		DataDir:       filepath.Join(dir, "data"),
		MaxConns:      -1,
		MaxConnsPerIP: -1,
		NewConnsPerIP: -1,
		MaxStartups:   "off",
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	served := make(chan error, 1)
	go pprof.Do(context.Background(), pprof.Labels("side", "server"), func(context.Context) {
		served <- srv.Serve(ln)
	})
	stop := func() int {
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		code := 0
		if err := srv.Shutdown(ctx); err != nil {
			code = 1
		}
		select {
		case err := <-served:
			if err != nil {
				code = 1
			}
		case <-time.After(10 * time.Second):
			code = 1
		}
		return code
	}
	return ln.Addr().String(), stop, nil
}
