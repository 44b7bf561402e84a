package chat_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
)

// BenchmarkRestart measures starting a hub over a SQLite store that holds
// 10 or 10,000 rooms with 5 lines of history each (the set-up is not
// timed): start-up should not depend on the number of rooms.
//
//	go test -run='^$' -bench=Restart -benchtime=20x ./sshchat/chat/
func BenchmarkRestart(b *testing.B) {
	for _, rooms := range []int{10, 10000} {
		b.Run(fmt.Sprintf("rooms=%d", rooms), func(b *testing.B) { benchmarkRestart(b, rooms) })
	}
}

func benchmarkRestart(b *testing.B, rooms int) {
	const lines = 5
	path := filepath.Join(b.TempDir(), "chat.db")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range rooms {
		name := fmt.Sprintf("#room%d", i)
		if err := st.SaveRoom(ctx, store.RoomInfo{Name: name, Created: time.Unix(int64(i), 0)}); err != nil {
			b.Fatal(err)
		}
		for seq := uint64(1); seq <= lines; seq++ {
			wg.Add(1)
			st.Append(store.Message{Room: name, Seq: seq, Time: time.Unix(int64(i), 0), Kind: store.KindMsg, From: "x", Text: "hello"},
				func(_ uint64, err error) {
					if err != nil {
						b.Error(err)
					}
					wg.Done()
				})
		}
	}
	wg.Wait()
	st.Close()

	b.ResetTimer()
	for range b.N {
		st, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		h, err := chat.NewHub(chat.Config{Store: st, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		h.Close()
		st.Close()
	}
}
