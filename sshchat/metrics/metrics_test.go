package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sshchat/sshchat/sshchat/chat"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A server without metrics calls the same hooks on a nil *Metrics.
func TestNilMetricsHooksDoNothing(t *testing.T) {
	var x *Metrics
	x.ConnAccepted()
	x.ConnRefused("full")
	x.Auth("publickey", true)
	x.SessionOpened(SessionPty)()
	x.StoreCommitted(3, time.Millisecond)
}

// TestReadinessProbesOnceAtATime: a flood of /readyz costs one store write
// per readyFresh, however many ask at once.
func TestReadinessProbesOnceAtATime(t *testing.T) {
	var probes atomic.Int32
	release := make(chan struct{})
	// Fresh for an hour: however late a goroutine runs, the answer is
	// still fresh, so exactly one probe is made.
	r := &readiness{fresh: time.Hour, check: func(context.Context) error {
		probes.Add(1)
		<-release
		return errors.New("disk full")
	}}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- r.get(context.Background())
		}()
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil || err.Error() != "disk full" {
			t.Fatalf("a waiter got %v, want the probe's error", err)
		}
	}
	if n := probes.Load(); n != 1 {
		t.Fatalf("%d probes for 50 concurrent requests, want 1", n)
	}
}

// A probe that panics still releases the requests waiting on it.
func TestReadinessSurvivesAPanickingCheck(t *testing.T) {
	r := &readiness{check: func(context.Context) error { panic("boom") }}
	func() {
		defer func() { recover() }()
		r.get(context.Background())
	}()
	if err := r.get(context.Background()); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("after a panic: %v", err)
	}
}

func TestHandlerServesMetricsAndProbes(t *testing.T) {
	c := &chat.Metrics{}
	c.Deliveries.Add(7)
	x := New(Sources{Version: "v1", Commit: "c1", Chat: c, Rooms: func() int { return 2 }})
	x.ConnRefused("no such reason")
	ready := errors.New("store locked")
	h := Handler(x, HandlerOptions{Ready: func(context.Context) error { return ready }})
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	code, body := get("/metrics")
	for _, want := range []string{"sshchat_deliveries_total 7", "sshchat_rooms 2", `sshchat_connections_refused_total{reason="other"} 1`,
		`sshchat_build_info{commit="c1"`, "go_goroutines", `sshchat_fanout_latency_seconds_bucket{le="+Inf"} 0`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q", code, want)
		}
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "store locked") {
		t.Errorf("/readyz: %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, _ := get("/debug/pprof/"); code != 404 {
		t.Errorf("pprof served without asking: %d", code)
	}
}

// TestFreeOSMemoryIsServedOnlyWithPprof: the load tool's steady memory
// reading is a debugging endpoint, off unless pprof is asked for, and a
// POST (a GET from a crawler or a link does nothing).
func TestFreeOSMemoryIsServedOnlyWithPprof(t *testing.T) {
	do := func(h http.Handler, method string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/debug/freeosmemory", nil))
		return rec.Code
	}
	if code := do(Handler(nil, HandlerOptions{}), http.MethodPost); code != 404 {
		t.Errorf("without pprof: %d, want 404", code)
	}
	h := Handler(nil, HandlerOptions{Pprof: true})
	if code := do(h, http.MethodPost); code != 200 {
		t.Errorf("POST with pprof: %d, want 200", code)
	}
	if code := do(h, http.MethodGet); code != 405 {
		t.Errorf("GET with pprof: %d, want 405", code)
	}
}
