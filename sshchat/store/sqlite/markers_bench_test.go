package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/storetest"
)

// BenchmarkCatchUpQueries measures what one room costs a catch-up at its
// bounds: counting 10,000 unread lines, and looking for mentions in the
// last 5,000 (the chat's window) or 20,000.
func BenchmarkCatchUpQueries(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"), Options{})
	var ms []store.Message
	for i := uint64(1); i <= 20_000; i++ {
		m := storetest.Msg("#busy", i, fmt.Sprintf("line %d about the deploy and other things people say", i))
		m.Time = time.UnixMilli(int64(i)).UTC()
		ms = append(ms, m)
	}
	storetest.AppendWait(b, s, ms...)
	ctx := context.Background()
	b.Run("CountSince", func(b *testing.B) {
		for b.Loop() {
			if n, err := s.CountSince(ctx, "#busy", 0, 10_000); err != nil || n != 10_000 {
				b.Fatal(n, err)
			}
		}
	})
	for _, window := range []uint64{5_000, 20_000} {
		b.Run(fmt.Sprintf("MentionsSince/last=%d", window), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.MentionsSince(ctx, "#busy", 20_000-window, "alice", "SHA256:x", 10); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
