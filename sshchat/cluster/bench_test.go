package cluster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/cluster"
	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
)

// BenchmarkDurableLines measures room lines per second through the store
// of several nodes, end to end: numbered (compare-and-set counter),
// published to JetStream (file storage) and acknowledged, and applied to
// the node's SQLite read model before Append calls back, as a busy node
// does it:
//
//	go test -run='^$' -bench=DurableLines -benchtime=20000x ./sshchat/cluster/
//
// Senders goroutines each append a line and wait for its callback before
// the next, spread over rooms rooms (several senders per room, as in a
// busy room). one-node: one Store on one NATS server; two-nodes: two
// Stores (two nodes, each its own connection and read model) on the same
// server, the senders split between them; r3: one Store on a three-server
// NATS cluster with three replicas.
func BenchmarkDurableLines(b *testing.B) {
	const senders, rooms = 256, 32
	b.Run("one-node", func(b *testing.B) {
		srv := natsjstest.Run(b, natsjstest.Options{})
		st := benchStore(b, []string{srv.URL()}, 1, "a")
		driveAppends(b, []*cluster.Store{st}, senders, rooms)
	})
	b.Run("two-nodes", func(b *testing.B) {
		srv := natsjstest.Run(b, natsjstest.Options{})
		a := benchStore(b, []string{srv.URL()}, 1, "a")
		c := benchStore(b, []string{srv.URL()}, 1, "b")
		driveAppends(b, []*cluster.Store{a, c}, senders, rooms)
	})
	b.Run("r3", func(b *testing.B) {
		nats := natsjstest.RunCluster(b, 3, natsjstest.Options{})
		st := benchStore(b, nats.URLs(), 3, "a")
		driveAppends(b, []*cluster.Store{st}, senders, rooms)
	})
}

// driveAppends appends b.N lines from senders goroutines over rooms
// rooms, the senders spread over the stores, and reports lines/s. Every
// line must be accepted.
func driveAppends(b *testing.B, stores []*cluster.Store, senders, rooms int) {
	b.Helper()
	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	for g := range senders {
		st := stores[g%len(stores)]
		room := fmt.Sprintf("#bench%d", g%rooms)
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				st.Append(store.Message{Room: room, Time: time.Now(), Kind: store.KindMsg, From: "bench",
					Text: fmt.Sprintf("line %d of a benchmark, about as long as a chat line usually is", i)},
					func(_ uint64, err error) { done <- err })
				if err := <-done; err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d lines refused; first: %v", n, b.N, firstErr.Load())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// benchStore opens a Store of one node on the NATS at urls with its own
// SQLite read model; cleanup closes it.
func benchStore(b *testing.B, urls []string, replicas int, name string) *cluster.Store {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := natsjs.Connect(ctx, natsjs.Options{URLs: urls, Name: "sshchat " + name, Logger: quietLogger})
	if err != nil {
		b.Fatalf("connect %s: %v", name, err)
	}
	b.Cleanup(conn.Close)
	stream, err := conn.EnsureStream(ctx, natsjs.StreamConfig{Replicas: replicas})
	if err != nil {
		b.Fatalf("stream: %v", err)
	}
	local, err := sqlite.Open(filepath.Join(b.TempDir(), name+".db"), sqlite.Options{Logger: quietLogger})
	if err != nil {
		b.Fatal(err)
	}
	st, err := cluster.OpenStore(ctx, conn, stream, cluster.StoreOptions{Local: local, Replicas: replicas, Logger: quietLogger})
	if err != nil {
		local.Close()
		b.Fatalf("open store %s: %v", name, err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}
