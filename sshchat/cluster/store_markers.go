package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Read markers across nodes. Every node keeps the markers its own sessions
// reported in its local store, as on one node (so SetReadMarkers is as
// fast as there and keeps its contract), and shares them in the markers
// bucket: one value per key holding that key's markers by folded room,
// merged by compare-and-set with the highest Seq winning, so a marker
// never moves back even when two nodes write it at once.
//
// Sharing is behind the local write: SetReadMarkers hands the batch to
// markerShare, whose one goroutine writes it to the bucket (one
// compare-and-set per key per round, a few keys at a time), so a session
// and the chat's flusher never wait on NATS. ReadMarkers reads the key's
// value from the bucket (one get) and moves the local markers forward to
// it before reading them locally: someone who comes back through another
// node catches up from where they stopped on the first.

// Bounds of shared markers.
const (
	// maxSharedMarkersPerKey bounds one key's value: past it the markers
	// moved longest ago are dropped from the bucket (this node's local
	// store keeps its own).
	maxSharedMarkersPerKey = 200
	// markersValueSize fits maxSharedMarkersPerKey markers of the longest
	// room names in JSON, with room to spare.
	markersValueSize = 32 << 10
	// maxSharedPending bounds the markers waiting to be shared (the chat's
	// own cache holds at most 100,000); past it new ones are dropped here
	// (the local store has them; the member's next report brings them
	// again).
	maxSharedPending = 100_000
	// markerWriters is how many keys are written to the bucket at once.
	markerWriters = 8
	// markerWriteWait bounds one key's write; markerCloseWait bounds the
	// last round at Close.
	markerWriteWait = 5 * time.Second
	markerCloseWait = 5 * time.Second
)

// sharedMarker is one marker in a key's value.
type sharedMarker struct {
	Room    string `json:"r"`
	Seq     uint64 `json:"s"`
	Updated int64  `json:"u"` // Unix microseconds
}

// sharedMarkers is a key's value: markers by folded room name.
type sharedMarkers map[string]sharedMarker

// merge moves v's marker of m's room forward to m and reports whether v
// changed.
func (v sharedMarkers) merge(fold string, m sharedMarker) bool {
	old, ok := v[fold]
	if ok && old.Seq >= m.Seq && old.Updated >= m.Updated {
		return false
	}
	if ok {
		m.Seq, m.Updated = max(m.Seq, old.Seq), max(m.Updated, old.Updated)
	}
	v[fold] = m
	return true
}

// trim drops the markers moved longest ago past maxSharedMarkersPerKey.
func (v sharedMarkers) trim() {
	if len(v) <= maxSharedMarkersPerKey {
		return
	}
	folds := slices.Collect(maps.Keys(v))
	slices.SortFunc(folds, func(a, b string) int { return cmp.Compare(v[b].Updated, v[a].Updated) })
	for _, f := range folds[maxSharedMarkersPerKey:] {
		delete(v, f)
	}
}

// markerShare writes markers to the bucket behind the local store.
type markerShare struct {
	bucket *natsjs.Bucket
	log    *slog.Logger

	mu      sync.Mutex // a leaf: pending only, no I/O under it
	pending map[string]sharedMarkers
	count   int // markers in pending
	dropped int // markers refused since the last warning

	wake chan struct{} // buffered 1: rounds coalesce
	stop chan struct{}
	done chan struct{}
}

func newMarkerShare(b *natsjs.Bucket, log *slog.Logger) *markerShare {
	ms := &markerShare{
		bucket: b, log: log, pending: map[string]sharedMarkers{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go ms.run()
	return ms
}

// add queues marks for the bucket; it never blocks on NATS.
func (ms *markerShare) add(marks []store.MarkerUpdate) {
	ms.mu.Lock()
	for _, u := range marks {
		v := ms.pending[u.Key]
		if v == nil {
			v = sharedMarkers{}
		}
		fold := store.Fold(u.Room)
		if _, ok := v[fold]; !ok && ms.count >= maxSharedPending {
			ms.dropped++
			continue
		}
		if _, ok := v[fold]; !ok {
			ms.count++
		}
		v.merge(fold, sharedMarker{Room: u.Room, Seq: u.Seq, Updated: u.Updated.UnixMicro()})
		ms.pending[u.Key] = v
	}
	ms.mu.Unlock()
	select {
	case ms.wake <- struct{}{}:
	default:
	}
}

// take returns everything pending and empties it.
func (ms *markerShare) take() (map[string]sharedMarkers, int) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	batch, dropped := ms.pending, ms.dropped
	ms.pending, ms.count, ms.dropped = map[string]sharedMarkers{}, 0, 0
	return batch, dropped
}

// run writes each round of pending markers until stop, then the last
// round within markerCloseWait.
func (ms *markerShare) run() {
	defer close(ms.done)
	defer func() {
		if r := recover(); r != nil {
			ms.log.Error("panic in read marker sharing", "panic", r)
		}
	}()
	for {
		select {
		case <-ms.wake:
			ms.round(context.Background())
		case <-ms.stop:
			ctx, cancel := context.WithTimeout(context.Background(), markerCloseWait)
			ms.round(ctx)
			cancel()
			return
		}
	}
}

// round writes one batch, markerWriters keys at a time. A key whose write
// failed is not retried here: the local store has its markers and the
// member's next report shares them again.
func (ms *markerShare) round(ctx context.Context) {
	batch, dropped := ms.take()
	if dropped > 0 {
		ms.log.Warn("read markers not shared: too many waiting", "dropped", dropped, "bound", maxSharedPending)
	}
	if len(batch) == 0 {
		return
	}
	keys := make(chan string)
	var wg sync.WaitGroup
	var failMu sync.Mutex // a leaf
	var failed int
	var lastErr error
	for range min(markerWriters, len(batch)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range keys {
				if err := ms.write(ctx, key, batch[key]); err != nil {
					failMu.Lock()
					failed, lastErr = failed+1, err
					failMu.Unlock()
				}
			}
		}()
	}
	for key := range batch {
		keys <- key
	}
	close(keys)
	wg.Wait()
	if failed > 0 {
		ms.log.Warn("read markers not shared", "keys", failed, "err", lastErr)
	}
}

// write merges marks into key's value.
func (ms *markerShare) write(ctx context.Context, key string, marks sharedMarkers) error {
	ctx, cancel := context.WithTimeout(ctx, markerWriteWait)
	defer cancel()
	return changeJSON(ctx, ms.bucket, key, func(v *sharedMarkers, _ bool) (bool, error) {
		if *v == nil {
			*v = sharedMarkers{}
		}
		changed := false
		for fold, m := range marks {
			changed = v.merge(fold, m) || changed
		}
		v.trim()
		return changed, nil
	})
}

// close writes what is pending (within markerCloseWait) and stops.
func (ms *markerShare) close() {
	close(ms.stop)
	<-ms.done
}

// SetReadMarkers moves each marker forward in the local store, then
// shares the batch with the other nodes in the background.
func (s *Store) SetReadMarkers(ctx context.Context, marks []store.MarkerUpdate) error {
	if err := s.local.SetReadMarkers(ctx, marks); err != nil {
		return err
	}
	s.markers.add(marks)
	return nil
}

// ReadMarkers returns key's markers as the local store has them, after
// moving them forward to what other nodes shared.
func (s *Store) ReadMarkers(ctx context.Context, key string, limit int) ([]store.Marker, error) {
	if limit <= 0 {
		return nil, nil
	}
	var shared sharedMarkers
	if _, err := getJSON(ctx, s.markersBucket, key, &shared); err != nil {
		// Read markers are a convenience: catch up from this node's own.
		s.log.Warn("read shared markers", "err", err)
		return s.local.ReadMarkers(ctx, key, limit)
	}
	if len(shared) > 0 {
		if err := s.adoptMarkers(ctx, key, shared); err != nil {
			s.log.Warn("adopt shared markers", "err", err)
		}
	}
	return s.local.ReadMarkers(ctx, key, limit)
}

// adoptMarkers moves key's local markers forward to shared. A room the
// local store has no record of (it was made on another node) is copied
// from the rooms bucket first, so that the local read finds it; a room
// that no longer exists is left out.
func (s *Store) adoptMarkers(ctx context.Context, key string, shared sharedMarkers) error {
	local, err := s.local.ReadMarkers(ctx, key, maxSharedMarkersPerKey+1)
	if err != nil {
		return err
	}
	have := make(map[string]store.Marker, len(local))
	for _, m := range local {
		have[store.Fold(m.Room)] = m
	}
	var moves []store.MarkerUpdate
	var gone []string
	for fold, m := range shared {
		if old, ok := have[fold]; ok {
			if old.Seq >= m.Seq {
				continue
			}
		} else if err := s.ensureLocalRoom(ctx, m.Room); errors.Is(err, errNoSuchRoom) {
			gone = append(gone, fold)
			continue
		} else if err != nil {
			return err
		}
		moves = append(moves, store.MarkerUpdate{Key: key, Room: m.Room, Seq: m.Seq, Updated: time.UnixMicro(m.Updated)})
	}
	if len(gone) > 0 {
		// Rooms removed everywhere: drop their markers from the value,
		// so that later reads do not look them up again.
		err := changeJSON(ctx, s.markersBucket, key, func(v *sharedMarkers, found bool) (bool, error) {
			n := len(*v)
			for _, fold := range gone {
				delete(*v, fold)
			}
			return found && len(*v) < n, nil
		})
		if err != nil {
			s.log.Warn("drop markers of removed rooms", "err", err)
		}
	}
	if len(moves) == 0 {
		return nil
	}
	return s.local.SetReadMarkers(ctx, moves)
}

// errNoSuchRoom: the room exists on no node.
var errNoSuchRoom = errors.New("no such room")

// ensureLocalRoom copies room's metadata from the rooms bucket into the
// local store if the local store has no record of it (the room was made
// on another node), or returns errNoSuchRoom.
func (s *Store) ensureLocalRoom(ctx context.Context, room string) error {
	if _, ok, err := s.local.Room(ctx, room); err != nil || ok {
		return err
	}
	info, ok, err := s.Room(ctx, room)
	if err != nil {
		return err
	}
	if !ok {
		return errNoSuchRoom
	}
	if err := s.local.SaveRoom(ctx, info); err != nil {
		return fmt.Errorf("copy room %s: %w", room, err)
	}
	return nil
}
