package natsjs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
)

// benchLine is the size of a typical chat line with its envelope.
var benchLine = make([]byte, 120)

// BenchmarkDurablePublish measures acknowledged (durable) publishes per
// second through one embedded server with file storage:
//
//	go test -run='^$' -bench=DurablePublish -benchtime=20000x ./sshchat/natsjs/
//
// sync: one Publish after another (each waits for its ack, as one sender
// does); batch: PublishBatch of 256 (asynchronous publishes, as a node
// forwarding many senders' lines does); the -always variants run the server
// with sync_interval: always (fsync before every ack).
func BenchmarkDurablePublish(b *testing.B) {
	for _, always := range []bool{false, true} {
		suffix := ""
		if always {
			suffix = "-always"
		}
		b.Run("sync"+suffix, func(b *testing.B) {
			s := benchStream(b, always)
			subject, _ := s.Subjects().Room("lobby")
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				if _, err := s.Publish(ctx, subject, benchLine, fmt.Sprintf("s-%d", i)); err != nil {
					b.Fatal(err)
				}
			}
			reportLines(b)
		})
		b.Run("batch"+suffix, func(b *testing.B) {
			s := benchStream(b, always)
			subject, _ := s.Subjects().Room("lobby")
			ctx := context.Background()
			const batch = 256
			msgs := make([]natsjs.Message, 0, batch)
			b.ResetTimer()
			for i := 0; i < b.N; {
				msgs = msgs[:0]
				for ; len(msgs) < batch && i < b.N; i++ {
					msgs = append(msgs, natsjs.Message{Subject: subject, Payload: benchLine, MsgID: fmt.Sprintf("a-%d", i)})
				}
				if _, err := s.PublishBatch(ctx, msgs); err != nil {
					b.Fatal(err)
				}
			}
			reportLines(b)
		})
	}
}

// BenchmarkDurablePublishR3 is the same through a three-server cluster on
// this one machine with three replicas (each ack waits for a quorum):
//
//	go test -run='^$' -bench=DurablePublishR3 -benchtime=20000x ./sshchat/natsjs/
func BenchmarkDurablePublishR3(b *testing.B) {
	b.Run("sync", func(b *testing.B) {
		cluster := natsjstest.RunCluster(b, 3, natsjstest.Options{})
		s := benchStreamAt(b, cluster.URLs(), 3)
		subject, _ := s.Subjects().Room("lobby")
		ctx := context.Background()
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.Publish(ctx, subject, benchLine, fmt.Sprintf("s-%d", i)); err != nil {
				b.Fatal(err)
			}
		}
		reportLines(b)
	})
	b.Run("batch", func(b *testing.B) {
		cluster := natsjstest.RunCluster(b, 3, natsjstest.Options{})
		s := benchStreamAt(b, cluster.URLs(), 3)
		subject, _ := s.Subjects().Room("lobby")
		ctx := context.Background()
		const batch = 256
		msgs := make([]natsjs.Message, 0, batch)
		b.ResetTimer()
		for i := 0; i < b.N; {
			msgs = msgs[:0]
			for ; len(msgs) < batch && i < b.N; i++ {
				msgs = append(msgs, natsjs.Message{Subject: subject, Payload: benchLine, MsgID: fmt.Sprintf("a-%d", i)})
			}
			if _, err := s.PublishBatch(ctx, msgs); err != nil {
				b.Fatal(err)
			}
		}
		reportLines(b)
	})
}

func benchStream(b *testing.B, syncAlways bool) *natsjs.Stream {
	b.Helper()
	srv := natsjstest.Run(b, natsjstest.Options{SyncAlways: syncAlways})
	return benchStreamAt(b, []string{srv.URL()}, 1)
}

func benchStreamAt(b *testing.B, urls []string, replicas int) *natsjs.Stream {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := natsjs.Connect(ctx, natsjs.Options{URLs: urls, Logger: quietLogger})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{Replicas: replicas})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func reportLines(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
