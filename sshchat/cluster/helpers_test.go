package cluster_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/cluster"
	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
)

const waitTimeout = 30 * time.Second

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// startNode starts one sshchat server whose bus is NATS at url, sharing
// st with the other nodes of the test. The server stops before its bus
// and connection (cleanups run last first).
func startNode(t *testing.T, url, name string, st store.Store, cfg sshchat.Config) *sshchattest.Server {
	t.Helper()
	conn, err := natsjs.Connect(testContext(t), natsjs.Options{
		URLs: []string{url}, Name: "sshchat " + name, Logger: quietLogger,
		ReconnectWait: 20 * time.Millisecond, MaxReconnectWait: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	t.Cleanup(conn.Close)
	stream, err := conn.EnsureStream(testContext(t), natsjs.StreamConfig{})
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	bus, err := cluster.NewBus(testContext(t), stream, cluster.BusOptions{Node: name, Logger: quietLogger})
	if err != nil {
		t.Fatalf("bus %s: %v", name, err)
	}
	t.Cleanup(bus.Close)
	cfg.Store, cfg.Bus = st, bus
	return sshchattest.Start(t, cfg)
}

// writeAdmins writes an authorized_keys file naming key an operator.
func writeAdmins(t *testing.T, key gossh.Signer) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "admins")
	if err := os.WriteFile(path, gossh.MarshalAuthorizedKey(key.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startClusterNode starts one sshchat server that keeps everything shared
// in NATS at url (Store) and delivers from the stream (Bus), with its own
// SQLite read model: a whole node of several, as --nats runs it.
func startClusterNode(t *testing.T, url, name string, cfg sshchat.Config) *sshchattest.Server {
	t.Helper()
	conn, err := natsjs.Connect(testContext(t), natsjs.Options{
		URLs: []string{url}, Name: "sshchat " + name, Logger: quietLogger,
		ReconnectWait: 20 * time.Millisecond, MaxReconnectWait: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	t.Cleanup(conn.Close)
	stream, err := conn.EnsureStream(testContext(t), natsjs.StreamConfig{})
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	local, err := sqlite.Open(filepath.Join(t.TempDir(), name+".db"), sqlite.Options{Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	st, err := cluster.OpenStore(testContext(t), conn, stream, cluster.StoreOptions{Local: local, Logger: quietLogger})
	if err != nil {
		local.Close()
		t.Fatalf("store %s: %v", name, err)
	}
	t.Cleanup(func() { st.Close() })
	bus, err := cluster.NewBus(testContext(t), stream, cluster.BusOptions{Node: name, LinesFromStore: true, ReadModel: st, Logger: quietLogger})
	if err != nil {
		t.Fatalf("bus %s: %v", name, err)
	}
	t.Cleanup(bus.Close)
	cfg.Store, cfg.Bus = st, bus
	return sshchattest.Start(t, cfg)
}

func containsLine(text, s string) bool { return strings.Contains(text, s) }

func countOf(text, s string) int { return strings.Count(text, s) }
