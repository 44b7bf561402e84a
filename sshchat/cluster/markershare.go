package cluster

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Sharing read markers behind the local store (see store_markers.go): a
// key's markers as one value, and the one goroutine that writes them.

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
	// ctx is every round's context; close cancels it after
	// markerCloseWait, so a round stuck on a NATS that does not answer
	// (each key may wait markerWriteWait) cannot hold up Close.
	ctx    context.Context
	cancel context.CancelFunc
}

func newMarkerShare(b *natsjs.Bucket, log *slog.Logger) *markerShare {
	ms := &markerShare{
		bucket: b, log: log, pending: map[string]sharedMarkers{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	ms.ctx, ms.cancel = context.WithCancel(context.Background())
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
			ms.round(ms.ctx)
		case <-ms.stop:
			ctx, cancel := context.WithTimeout(ms.ctx, markerCloseWait)
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

// close writes what is pending and stops, within about markerCloseWait
// whatever NATS does: a round still at work then is cancelled.
func (ms *markerShare) close() {
	close(ms.stop)
	t := time.AfterFunc(markerCloseWait, ms.cancel)
	<-ms.done
	t.Stop()
	ms.cancel()
}
