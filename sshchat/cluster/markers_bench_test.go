package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/store"
)

// BenchmarkMarkerShareRound measures how fast one round shares the
// markers of many keys (one compare-and-set per key, markerWriters at a
// time) with one embedded NATS server:
//
//	go test -run='^$' -bench=MarkerShareRound -benchtime=5000x ./sshchat/cluster/
//
// Each b.N is one key with one marker; keys/s is what a node's flusher
// can share per second (the chat's cache holds at most 100,000 markers).
func BenchmarkMarkerShareRound(b *testing.B) {
	nats := natsjstest.Run(b, natsjstest.Options{})
	ctx := context.Background()
	conn, err := natsjs.Connect(ctx, natsjs.Options{URLs: []string{nats.URL()}, Name: "bench", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	bucket, err := conn.EnsureBucket(ctx, natsjs.BucketConfig{Name: "bench-markers", MaxValueSize: markersValueSize})
	if err != nil {
		b.Fatal(err)
	}
	ms := &markerShare{bucket: bucket, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		pending: map[string]sharedMarkers{}, wake: make(chan struct{}, 1)}
	now := time.Now()
	batch := make([]store.MarkerUpdate, b.N)
	for i := range batch {
		batch[i] = store.MarkerUpdate{Key: fmt.Sprintf("SHA256:bench%d", i), Room: "#lobby", Seq: 10, Updated: now}
	}
	ms.add(batch)
	b.ResetTimer()
	ms.round(ctx)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}
