package sqlite

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// BenchmarkAppend measures durable messages per second through the group
// commit: each appender waits for its message's commit callback before
// appending the next one (a member waiting for its line to be stored), so
// msgs/s counts acknowledged, committed messages only.
func BenchmarkAppend(b *testing.B) {
	for _, syncMode := range []string{"NORMAL", "FULL"} {
		for _, appenders := range []int{1, 64, 512} {
			b.Run(fmt.Sprintf("sync=%s/appenders=%d", syncMode, appenders), func(b *testing.B) {
				benchAppend(b, syncMode, appenders)
			})
		}
	}
}

func benchAppend(b *testing.B, syncMode string, appenders int) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"), Options{Synchronous: syncMode})
	const text = "a line of chat of a typical length, say sixty-odd bytes or so."
	base := time.Now().UTC()
	var next atomic.Uint64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for g := range appenders {
		wg.Go(func() {
			room := fmt.Sprint("#room", g%8)
			done := make(chan error, 1)
			for {
				seq := next.Add(1)
				if seq > uint64(b.N) {
					return
				}
				s.Append(store.Message{Room: room, Seq: seq, Time: base, Kind: "msg",
					From: "alice", FromKey: "SHA256:alice", Text: text}, func(_ uint64, err error) { done <- err })
				if err := <-done; err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N)/float64(s.batches.Load()), "msgs/commit")
}
