package cluster_test

import (
	"path/filepath"
	"testing"

	"github.com/sshchat/sshchat/sshchat/cluster"
	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
	"github.com/sshchat/sshchat/sshchat/store/storetest"
)

// openClusterStore opens a Store of one node on the NATS at url, with a
// fresh SQLite read model.
func openClusterStore(t *testing.T, url, name string) *cluster.Store {
	t.Helper()
	return openClusterStoreWith(t, url, name, filepath.Join(t.TempDir(), name+".db"), cluster.StoreOptions{})
}

// openClusterStoreWith opens a Store whose read model is the SQLite file
// at dbPath, with options o (Local and Logger are set here).
func openClusterStoreWith(t *testing.T, url, name, dbPath string, o cluster.StoreOptions) *cluster.Store {
	t.Helper()
	conn, err := natsjs.Connect(testContext(t), natsjs.Options{URLs: []string{url}, Name: "sshchat " + name, Logger: quietLogger})
	if err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	t.Cleanup(conn.Close)
	stream, err := conn.EnsureStream(testContext(t), natsjs.StreamConfig{})
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	local, err := sqlite.Open(dbPath, sqlite.Options{Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	o.Local, o.Logger = local, quietLogger
	s, err := cluster.OpenStore(testContext(t), conn, stream, o)
	if err != nil {
		local.Close()
		t.Fatalf("open store %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The store of several nodes keeps every promise of store.Store, on a
// real (embedded) NATS server.
func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		nats := natsjstest.Run(t, natsjstest.Options{})
		return openClusterStore(t, nats.URL(), "a")
	})
}
