package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HandlerOptions configure the operator's HTTP endpoints.
type HandlerOptions struct {
	// Ready reports nil when the server can do its work (the store is
	// writable); /readyz answers 503 with its error otherwise.
	Ready func(context.Context) error
	// Pprof serves net/http/pprof under /debug/pprof/.
	Pprof bool
	// Logger receives errors serving /metrics.
	Logger *slog.Logger
}

// readyTimeout bounds one readiness probe; readyFresh is how long its
// answer is reused, so a flood of /readyz costs at most one store write a
// second.
const (
	readyTimeout = 5 * time.Second
	readyFresh   = time.Second
)

// Handler serves /metrics, /healthz (the process serves HTTP), /readyz
// (Ready says yes) and, if asked, /debug/pprof/. x may be nil: then
// /metrics is not served.
func Handler(x *Metrics, opts HandlerOptions) http.Handler {
	mux := http.NewServeMux()
	if x != nil {
		var errLog promhttp.Logger
		if opts.Logger != nil {
			errLog = slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError)
		}
		mux.Handle("GET /metrics", promhttp.HandlerFor(x.reg, promhttp.HandlerOpts{
			ErrorLog:            errLog,
			MaxRequestsInFlight: 4,
			Timeout:             10 * time.Second,
		}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	ready := &readiness{check: opts.Ready}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready.get(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if opts.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("POST /debug/freeosmemory", freeOSMemory)
	}
	return mux
}

// freeOSMemory runs a garbage collection and returns freed memory to the
// operating system, so that a reading of the process's RSS right after it
// counts what is live, not what the last burst left for the collector
// (sshchat-load reads it this way for sshchat and its floor server alike).
func freeOSMemory(w http.ResponseWriter, _ *http.Request) {
	debug.FreeOSMemory()
	fmt.Fprintln(w, "ok")
}

// readiness runs the readiness check at most once at a time and reuses
// its answer for readyFresh.
type readiness struct {
	check func(context.Context) error
	fresh time.Duration // readyFresh unless a test says otherwise

	mu      sync.Mutex // leaf: guards the fields below; the check runs outside it
	checked time.Time
	err     error
	running chan struct{} // closed when the check under way is done
}

func (r *readiness) get(ctx context.Context) error {
	if r.check == nil {
		return nil
	}
	r.mu.Lock()
	fresh := r.fresh
	if fresh == 0 {
		fresh = readyFresh
	}
	if !r.checked.IsZero() && time.Since(r.checked) < fresh {
		err := r.err
		r.mu.Unlock()
		return err
	}
	if running := r.running; running != nil {
		r.mu.Unlock()
		select {
		case <-running:
		case <-ctx.Done():
			return ctx.Err()
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.err
	}
	running := make(chan struct{})
	r.running = running
	r.mu.Unlock()

	err := errors.New("readiness check panicked")
	defer func() {
		// Also after a panic, so that waiters are released.
		r.mu.Lock()
		r.err, r.checked, r.running = err, time.Now(), nil
		r.mu.Unlock()
		close(running)
	}()
	// Not the request's context: a client that hangs up must not leave
	// a failed answer for the others.
	checkCtx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	err = r.check(checkCtx)
	return err
}
