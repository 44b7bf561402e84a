package chat

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
)

// failingSaveRoom fails SaveRoom while fail is set, like a full disk.
type failingSaveRoom struct {
	store.Store
	fail atomic.Bool
}

func (f *failingSaveRoom) SaveRoom(ctx context.Context, info store.RoomInfo) error {
	if f.fail.Load() {
		return errors.New("disk full")
	}
	return f.Store.SaveRoom(ctx, info)
}

// TestUnstoredTopicIsNotShown: stored, then shown. A topic the store could
// not save must not become the room's topic (shown on /topic and to every
// joiner, and gone after a restart); its setter is told.
func TestUnstoredTopicIsNotShown(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "chat.db"), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs := &failingSaveRoom{Store: st}
	h := quietHub(Config{Store: fs})
	defer h.Close()
	alice, _ := join(t, h, "alice")
	h.Handle(alice, "/join #mine")
	waitText(t, alice, "You are now in #mine")
	fs.fail.Store(true)
	h.Handle(alice, "/topic never stored")
	fs.fail.Store(false)
	h.Handle(alice, "/topic")
	text := waitText(t, alice, "#mine")
	if strings.Contains(text, "Topic of #mine: never stored") {
		t.Fatalf("a topic the store refused is the room's topic:\n%s", text)
	}
}
