package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Defaults for StoreOptions fields left zero.
const (
	DefaultBucketPrefix = "sshchat"
	DefaultPresenceTTL  = 30 * time.Second
	DefaultAppendQueue  = 4096
	DefaultAppendWait   = 2 * time.Second
	// appliedWait bounds how long an acknowledged line waits for this
	// node's read model before its Append is called back with an error.
	appliedWait = 10 * time.Second
)

// StoreOptions shapes a Store.
type StoreOptions struct {
	// Local is this node's own store (SQLite): the read model of history,
	// filled from the stream, and what is still node-local (preferences,
	// read markers, the private log, the audit trail). The Store closes it.
	Local store.Store
	// BucketPrefix names the key-value buckets ("<prefix>-nicks", ...).
	BucketPrefix string
	// Replicas of every bucket: 1 for one NATS server, 3 in a cluster.
	Replicas int
	// PresenceTTL is how long an online claim outlives a node that died
	// without releasing it; the node refreshes its claims well within it.
	PresenceTTL time.Duration
	// AppendQueue bounds the lines waiting to be published; AppendWait is
	// how long Append waits while it is full before ErrBusy.
	AppendQueue int
	AppendWait  time.Duration
	Logger      *slog.Logger
}

// Store is the store of a node of several: shared state in JetStream
// key-value buckets, history in the chat stream (the room's sequence
// number from a compare-and-set counter per room, so exactly one line
// gets each number whatever node appends it), read back into Local by
// sequence number. See the package doc for what is still node-local.
type Store struct {
	store.Store // Local: the read model and node-local state

	local  store.Store
	stream *natsjs.Stream
	subj   natsjs.Subjects
	o      StoreOptions
	log    *slog.Logger

	nicks, owners, mod, rooms, counters, online, mailboxes *natsjs.Bucket
	roster                                                 *natsjs.Bucket // each node's people online
	rosters                                                *rosterBook    // the watched copy of roster
	prefs                                                  *natsjs.Bucket // each key's preferences (store_prefs.go)
	markersBucket                                          *natsjs.Bucket // each key's read markers (store_markers.go)
	markers                                                *markerShare   // writes markers to markersBucket
	audit                                                  *natsjs.Bucket // the audit trail's ring (store_audit.go)

	queue    chan appendReq
	consumer *natsjs.Consumer
	stop     chan struct{} // closed by Close: the writer drains and ends
	writerWG sync.WaitGroup

	// counterCache: each room counter's last known value and revision,
	// owned by the writer goroutine (no lock).
	counterCache map[string]counterState

	// mark: how far the read model got (store_applied.go). markSaved and
	// markSavedAt belong to the consumer goroutine (then to Close).
	mark        *appliedMark
	markSaved   uint64
	markSavedAt time.Time
	applies     atomic.Uint64 // room lines handed to the read model

	// closeMu (a leaf) orders Append's send against Close's close of
	// queue; Append holds it (read) at most AppendWait, never over I/O.
	closeMu sync.RWMutex
	closed  bool
	once    sync.Once

	// waitMu (a leaf) guards waiters: lines this node published, waiting
	// for the read model to have them before their Append is called back.
	waitMu  sync.Mutex
	waiters map[string][]*waiter

	presence *presenceKeeper
}

// Compile-time checks of the capabilities the chat looks for.
var (
	_ store.Store        = (*Store)(nil)
	_ store.Presence     = (*Store)(nil)
	_ store.GuestNumbers = (*Store)(nil)
	_ store.Searcher     = (*Store)(nil)
)

// OpenStore ensures the buckets, reads the stream into the read model up
// to its current end (so history is whole before the node serves), and
// starts the writer.
func OpenStore(ctx context.Context, conn *natsjs.Conn, stream *natsjs.Stream, o StoreOptions) (*Store, error) {
	if o.Local == nil {
		return nil, errors.New("cluster store: no local store for the read model")
	}
	if o.BucketPrefix == "" {
		o.BucketPrefix = DefaultBucketPrefix
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.PresenceTTL <= 0 {
		o.PresenceTTL = DefaultPresenceTTL
	}
	if o.AppendQueue <= 0 {
		o.AppendQueue = DefaultAppendQueue
	}
	if o.AppendWait <= 0 {
		o.AppendWait = DefaultAppendWait
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Store{
		Store: o.Local, local: o.Local, stream: stream, subj: stream.Subjects(), o: o,
		log:     o.Logger.With("component", "cluster-store"),
		queue:   make(chan appendReq, o.AppendQueue),
		stop:    make(chan struct{}),
		waiters: map[string][]*waiter{},
	}
	s.counterCache = map[string]counterState{}
	buckets := []struct {
		b   **natsjs.Bucket
		cfg natsjs.BucketConfig
	}{
		{&s.nicks, natsjs.BucketConfig{Name: o.BucketPrefix + "-nicks"}},
		{&s.owners, natsjs.BucketConfig{Name: o.BucketPrefix + "-owners"}},
		{&s.mod, natsjs.BucketConfig{Name: o.BucketPrefix + "-moderation"}},
		{&s.rooms, natsjs.BucketConfig{Name: o.BucketPrefix + "-rooms"}},
		{&s.counters, natsjs.BucketConfig{Name: o.BucketPrefix + "-counters"}},
		{&s.online, natsjs.BucketConfig{Name: o.BucketPrefix + "-online", KeyTTL: o.PresenceTTL}},
		{&s.mailboxes, natsjs.BucketConfig{Name: o.BucketPrefix + "-mailboxes", MaxValueSize: mailboxValueSize}},
		{&s.roster, natsjs.BucketConfig{Name: o.BucketPrefix + "-roster", MaxValueSize: rosterValueSize, TTL: rosterTTL(o.PresenceTTL)}},
		{&s.prefs, natsjs.BucketConfig{Name: o.BucketPrefix + "-prefs", MaxValueSize: prefsValueSize}},
		{&s.markersBucket, natsjs.BucketConfig{Name: o.BucketPrefix + "-markers", MaxValueSize: markersValueSize}},
		{&s.audit, natsjs.BucketConfig{Name: o.BucketPrefix + "-audit", MaxValueSize: auditValueSize}},
	}
	for _, b := range buckets {
		b.cfg.Replicas = o.Replicas
		var err error
		if *b.b, err = conn.EnsureBucket(ctx, b.cfg); err != nil {
			return nil, fmt.Errorf("cluster store: bucket %s: %w", b.cfg.Name, err)
		}
	}
	if err := s.startReadModel(ctx); err != nil {
		return nil, err
	}
	rosters, err := watchRosters(ctx, s.roster, rosterTTL(o.PresenceTTL), s.log)
	if err != nil {
		s.consumer.Stop()
		return nil, fmt.Errorf("cluster store: %w", err)
	}
	s.rosters = rosters
	s.presence = newPresenceKeeper(s.online, o.PresenceTTL, s.log)
	s.markers = newMarkerShare(s.markersBucket, s.log)
	s.writerWG.Add(1)
	go s.writeLoop()
	return s, nil
}

// Close flushes queued Appends, stops reading the stream and closes the
// local store. The NATS connection is the caller's.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		s.closeMu.Lock()
		s.closed = true
		close(s.queue)
		s.closeMu.Unlock()
		s.writerWG.Wait() // every queued line published (or failed)
		s.waitApplied(appliedWait)
		s.consumer.Stop()
		s.saveMark(true)
		s.presence.stop()
		s.rosters.stop()
		s.markers.close() // the last markers the hub flushed reach the bucket
		s.failWaiters(store.ErrClosed)
		close(s.stop)
		err = s.local.Close()
	})
	return err
}

// Search searches this node's read model.
func (s *Store) Search(ctx context.Context, room, query string, limit int) ([]store.Message, error) {
	if sr, ok := s.local.(store.Searcher); ok {
		return sr.Search(ctx, room, query, limit)
	}
	return nil, nil
}
