package sshchat

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/cluster"
	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
)

// NATSConfig makes the server a node of several that share one chat
// through NATS JetStream. Unset (URL ""), no NATS code runs.
type NATSConfig struct {
	// URL of the NATS server(s), comma-separated.
	URL string
	// CredsFile is a NATS credentials file (JWT and nkey seed).
	CredsFile string
	// Replicas of the stream and buckets: 1 for one NATS server, 3 in a
	// three-server cluster (default 1).
	Replicas int
}

// natsStartTimeout bounds connecting and reading the stream at start: a
// wrong URL or password stops the node loudly.
const natsStartTimeout = 60 * time.Second

// openCluster connects to NATS and opens the store of several nodes (its
// read model is sshchat.db in DataDir) and the NATS bus. Close releases
// them in the right order through s.closeCluster.
func (s *Server) openCluster() (err error) {
	n := s.cfg.NATS
	ctx, cancel := context.WithTimeout(context.Background(), natsStartTimeout)
	defer cancel()
	log := s.log.With("component", "nats")
	conn, err := natsjs.Connect(ctx, natsjs.Options{
		URLs: splitURLs(n.URL), Name: "sshchat " + s.cfg.Addr, CredsFile: n.CredsFile, Logger: log,
		OnDisconnected: func(err error) { log.Warn("NATS is away: new lines are refused until it is back", "err", err) },
		OnReconnected:  func(url string) { log.Info("NATS is back", "url", url) },
	})
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
			conn.Close()
		}
	}()
	// The stream keeps history as long as the read models do (--retention),
	// so that a node reading it again at start reads no more than that.
	stream, err := conn.EnsureStream(ctx, natsjs.StreamConfig{Replicas: n.Replicas, MaxAge: max(s.cfg.Retention, 0)})
	if err != nil {
		return fmt.Errorf("NATS stream: %w", err)
	}
	dbPath := filepath.Join(s.cfg.DataDir, "sshchat.db")
	local, err := sqlite.Open(dbPath, sqlite.Options{Logger: s.cfg.Logger, OnCommit: s.metrics.StoreCommitted})
	if err != nil {
		return err
	}
	st, err := cluster.OpenStore(ctx, conn, stream, cluster.StoreOptions{Local: local, Replicas: n.Replicas, Logger: s.cfg.Logger})
	if err != nil {
		local.Close()
		return err
	}
	closers = append(closers, st.Close)
	bus, err := cluster.NewBus(ctx, stream, cluster.BusOptions{LinesFromStore: true, ReadModel: st, Logger: s.cfg.Logger})
	if err != nil {
		return err
	}
	s.store, s.ownsStore, s.cfg.Bus = st, true, bus
	// After the hub: the bus stops delivering, the store flushes, then
	// the connection ends.
	s.closeCluster = func() error {
		bus.Close()
		err := st.Close()
		conn.Close()
		return err
	}
	s.log.Info("joined the chat on NATS", "read_model", dbPath, "replicas", max(n.Replicas, 1))
	return nil
}

func splitURLs(s string) []string {
	var out []string
	for _, u := range strings.Split(s, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// errNATSWithStore: a caller gave both a store and NATS.
var errNATSWithStore = errors.New("sshchat: Config.NATS and Config.Store are exclusive")
