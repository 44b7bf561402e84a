package cluster

import (
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat/store"
)

// A flood of queued lines is published in batches of at most
// maxBatchLines lines, or about maxBatchBytes of text: one batch is never
// so big that its acknowledgements outlast a request timeout, and what
// is left stays queued, in order, for the next batch.
func TestFloodIsCutIntoBoundedBatches(t *testing.T) {
	cases := []struct {
		name  string
		text  string
		lines int
		want  int
	}{
		{"many short lines", "hi", 3 * maxBatchLines, maxBatchLines},
		{"long lines", strings.Repeat("x", 4<<10), 3 * maxBatchLines, maxBatchBytes / (4 << 10)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Store{queue: make(chan appendReq, c.lines)}
			for i := range c.lines {
				s.queue <- appendReq{m: store.Message{Room: "#r", Seq: uint64(i + 1), Text: c.text}}
			}
			first := <-s.queue
			batch := s.takeBatch(nil, first)
			if len(batch) != c.want {
				t.Fatalf("first batch has %d lines, want %d", len(batch), c.want)
			}
			for i, req := range batch {
				if req.m.Seq != uint64(i+1) {
					t.Fatalf("batch line %d is queued line %d: order lost", i, req.m.Seq)
				}
			}
			if left := len(s.queue); left != c.lines-c.want {
				t.Fatalf("%d lines left queued, want %d", left, c.lines-c.want)
			}
		})
	}
}
