package sshd

import (
	"bytes"
	"strings"
	"testing"
)

type recordWriter struct{ writes [][]byte }

func (r *recordWriter) Write(p []byte) (int, error) {
	r.writes = append(r.writes, append([]byte(nil), p...))
	return len(p), nil
}

// TestBigWritesDoNotGrowKeptBuffers: a catch-up replay (or any big write)
// reaches the channel in pieces of at most maxWriteChunk bytes, so that
// the buffers x/crypto keeps per channel and per connection stay small;
// the bytes are the same, in order, and "\r\n" is never split.
func TestBigWritesDoNotGrowKeptBuffers(t *testing.T) {
	var replay strings.Builder
	for i := 0; replay.Len() < 30_000; i++ {
		replay.WriteString(strings.Repeat("x", i%300) + "\r\n")
	}
	for _, in := range [][]byte{
		[]byte(replay.String()),
		bytes.Repeat([]byte("y"), 10_000),                                 // no line end at all
		append(bytes.Repeat([]byte("z"), maxWriteChunk-1), "\r\nrest"...), // "\r\n" across the limit
		[]byte("a short line\r\n"),
	} {
		var rec recordWriter
		n, err := chunkWriter{&rec}.Write(in)
		if err != nil || n != len(in) {
			t.Fatalf("wrote %d of %d: %v", n, len(in), err)
		}
		if got := bytes.Join(rec.writes, nil); !bytes.Equal(got, in) {
			t.Fatalf("the pieces do not add up to what was written")
		}
		for i, w := range rec.writes {
			if len(w) > maxWriteChunk {
				t.Errorf("piece %d: %d bytes, more than %d", i, len(w), maxWriteChunk)
			}
			if i < len(rec.writes)-1 && w[len(w)-1] == '\r' {
				t.Errorf("piece %d ends between \\r and \\n", i)
			}
		}
	}
}
