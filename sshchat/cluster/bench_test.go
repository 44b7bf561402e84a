package cluster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chat"
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

// BenchmarkCrossNodeDelivery measures what waiting for the read model
// costs live delivery: the time from Append on node A to node B's bus
// handing the line to its hubs, one line at a time, with B's bus waiting
// for B's read model (as nodes run) and without:
//
//	go test -run='^$' -bench=CrossNodeDelivery -benchtime=2000x ./sshchat/cluster/
func BenchmarkCrossNodeDelivery(b *testing.B) {
	for _, wait := range []bool{true, false} {
		name := "readmodel-first"
		if !wait {
			name = "no-wait"
		}
		b.Run(name, func(b *testing.B) {
			srv := natsjstest.Run(b, natsjstest.Options{})
			a := benchStore(b, []string{srv.URL()}, 1, "a")
			other := benchStore(b, []string{srv.URL()}, 1, "b")
			o := cluster.BusOptions{Node: "b", LinesFromStore: true, Logger: quietLogger}
			if wait {
				o.ReadModel = other
			}
			bus := benchBus(b, srv.URL(), o)
			got := make(chan struct{}, 1)
			b.Cleanup(bus.Subscribe(&deliverFunc{f: func(chat.Line) { got <- struct{}{} }}))
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				a.Append(store.Message{Room: "#lat", Time: start, Kind: store.KindMsg, From: "x", Text: fmt.Sprintf("l%d", i)}, nil)
				select {
				case <-got:
				case <-time.After(waitTimeout):
					b.Fatalf("line %d not delivered on node B", i)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// deliverFunc is a chat.Subscriber that passes lines to a function (by
// pointer: subscribers are compared).
type deliverFunc struct{ f func(chat.Line) }

func (d *deliverFunc) DeliverLine(l chat.Line) { d.f(l) }
func (*deliverFunc) ApplyChange(chat.Change)   {}

// benchBus opens a Bus on its own connection to url.
func benchBus(b *testing.B, url string, o cluster.BusOptions) *cluster.Bus {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := natsjs.Connect(ctx, natsjs.Options{URLs: []string{url}, Name: "sshchat bus", Logger: quietLogger})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(conn.Close)
	stream, err := conn.EnsureStream(ctx, natsjs.StreamConfig{})
	if err != nil {
		b.Fatal(err)
	}
	bus, err := cluster.NewBus(ctx, stream, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bus.Close)
	return bus
}
