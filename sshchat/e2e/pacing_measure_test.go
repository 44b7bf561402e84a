package e2e

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestMeasurePacingOfOneKey measures how many lines one key gets through
// in 10 s with default pacing (5/s, burst 20) while flooding from 4
// connections and 8 concurrent one-shot say loops. It asserts nothing (the
// deterministic check is TestPacingSpansSessions); it prints the figure.
func TestMeasurePacingOfOneKey(t *testing.T) {
	if os.Getenv("SSHCHAT_MEASURE") == "" {
		t.Skip("a measurement, not a test: SSHCHAT_MEASURE=1 go test -v -run TestMeasurePacingOfOneKey ./sshchat/")
	}
	srv := sshchattest.Start(t, sshchat.Config{Rate: 5, Burst: 20})
	watcher := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	key := sshchattest.NewKey(t)
	var sessions []*sshchattest.Client
	for range 4 {
		sessions = append(sessions, dialWelcome(t, srv.Addr, sshchattest.Options{User: "spam", Key: key}))
	}
	window := 10 * time.Second
	start := time.Now()
	stop := make(chan struct{})
	var says, sayFails atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := sshchattest.ClientConfig(t, sshchattest.Options{User: "spam", Key: key})
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				conn, err := gossh.Dial("tcp", srv.Addr, cfg)
				if err != nil {
					continue
				}
				sess, _ := conn.NewSession()
				err = sess.Run(fmt.Sprintf("say flood say %d.%d", w, i))
				conn.Close()
				if err == nil {
					says.Add(1)
				} else {
					sayFails.Add(1)
				}
			}
		}()
	}
	for i, c := range sessions {
		var b strings.Builder
		for j := range 300 {
			fmt.Fprintf(&b, "flood s%d.%d\n", i, j)
		}
		c.Write(b.String())
	}
	time.Sleep(window) // the measurement window itself
	elapsed := time.Since(start)
	count := 0
	for _, l := range lines(watcher.Text()) {
		if strings.Contains(l, ": flood ") {
			count++
		}
	}
	close(stop)
	wg.Wait()
	fmt.Printf("MEASURE: one key, 4 sessions x 300 lines + 8 say loops: %d lines delivered in %v (%.1f/s); says ok %d, refused %d\n",
		count, elapsed.Round(time.Millisecond), float64(count)/elapsed.Seconds(), says.Load(), sayFails.Load())
}
