package natsjs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// watchRetryWait is the pause between attempts to re-create a watch while
// NATS is still coming back.
const watchRetryWait = 250 * time.Millisecond

// watchDrainTimeout bounds the wait for a stopped library watcher to close
// its channel, so Stop cannot hang on it.
const watchDrainTimeout = 5 * time.Second

// Watcher delivers a bucket's changes to one handler until Stop.
type Watcher struct {
	bucket *Bucket
	handle func(Entry)
	ready  func()

	// ctx is the watch's own context (see Watch); cancel ends it.
	ctx    context.Context
	cancel context.CancelFunc
	// kick asks the loop to re-create the library watcher (after a
	// reconnect); buffered 1, so kicks coalesce and never block.
	kick chan struct{}
	done chan struct{}
	once sync.Once
}

// Watch calls handle with the latest entry of every key, then calls ready
// once (the bucket's state as of the watch is complete: a node may now
// serve from it), then with every change as it happens, in revision order,
// on the Watcher's own goroutine. Deletes and expiries (with KeyTTL set on
// the bucket) arrive as entries with OpDelete and OpExpire.
//
// "Every change" is every revision the bucket still holds when the watch
// reaches it: with History 1 a value overwritten before it was delivered
// is gone, so a watcher may skip it but always ends on each key's latest
// value. Keep History larger where intermediate values matter.
//
// After a reconnect the watch resumes at once from the revision after the
// last one delivered. (The library's own watcher recovers only when its
// heartbeat check notices, 10 to 20 s later: too slow for a ban.)
func (b *Bucket) Watch(ctx context.Context, handle func(Entry), ready func()) (*Watcher, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("natsjs: watch %s: %w", b.kv.Bucket(), err)
	}
	// The library keeps the context for the watch's whole life: it
	// unsubscribes when the context ends, parks a goroutine on it until
	// then, and uses it to re-create its consumer. So the watch gets a
	// context of its own, which Stop ends, not the caller's (which may be a
	// short request context).
	watchCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &Watcher{
		bucket: b, handle: handle, ready: ready,
		ctx: watchCtx, cancel: cancel,
		kick: make(chan struct{}, 1), done: make(chan struct{}),
	}
	kw, err := w.start(0)
	if err != nil {
		cancel()
		return nil, err
	}
	go w.run(kw)
	if err := b.conn.owned.add(w); err != nil {
		return nil, fmt.Errorf("natsjs: watch %s: %w", b.kv.Bucket(), err)
	}
	return w, nil
}

// start creates the library watcher: everything (latest per key) when
// nothing was delivered yet, else every retained revision after last.
func (w *Watcher) start(last uint64) (jetstream.KeyWatcher, error) {
	var opts []jetstream.WatchOpt
	if last > 0 {
		opts = append(opts, jetstream.ResumeFromRevision(last+1))
	}
	kw, err := w.bucket.kv.WatchAll(w.ctx, opts...)
	if err != nil {
		return nil, w.bucket.conn.unavailable(fmt.Errorf("natsjs: watch %s from revision %d: %w", w.bucket.kv.Bucket(), last+1, err))
	}
	return kw, nil
}

func (w *Watcher) run(kw jetstream.KeyWatcher) {
	defer close(w.done)
	var last uint64
	readySent := false
	deliver := func(e jetstream.KeyValueEntry) {
		if e == nil {
			if !readySent && w.ready != nil {
				w.ready()
			}
			readySent = true
			return
		}
		// A re-created watch may repeat what was already delivered.
		if e.Revision() <= last {
			return
		}
		last = e.Revision()
		key, err := DecodeToken(strings.TrimPrefix(e.Key(), w.bucket.subjectPrefix))
		if err != nil {
			w.bucket.conn.log.Warn("NATS watch: key not written by sshchat", "bucket", w.bucket.kv.Bucket(), "key", e.Key())
			return
		}
		w.handle(entryOf(e, key))
	}
	for {
		kicked := false
	drain:
		for {
			select {
			case e, ok := <-kw.Updates():
				if !ok {
					break drain
				}
				deliver(e)
			case <-w.kick:
				kicked = true
				// What the old watcher still holds is valid and in order.
				stopAndDrain(kw, deliver)
				break drain
			case <-w.ctx.Done():
				stopAndDrain(kw, func(jetstream.KeyValueEntry) {})
				return
			}
		}
		if !kicked && w.ctx.Err() != nil {
			return
		}
		// The library watcher ended (after a reconnect, or on its own):
		// re-create it from the next revision, until NATS answers.
		for {
			var err error
			if kw, err = w.start(last); err == nil {
				break
			}
			w.bucket.conn.log.Debug("NATS watch: re-creating", "bucket", w.bucket.kv.Bucket(), "err", err)
			select {
			case <-w.ctx.Done():
				return
			case <-time.After(watchRetryWait):
			}
		}
	}
}

// stopAndDrain stops a library watcher and passes on what it still holds
// until its updates channel closes (the library closes it when the
// subscription is gone), waiting at most watchDrainTimeout.
func stopAndDrain(kw jetstream.KeyWatcher, deliver func(jetstream.KeyValueEntry)) {
	_ = kw.Stop()
	timeout := time.NewTimer(watchDrainTimeout)
	defer timeout.Stop()
	for {
		select {
		case e, ok := <-kw.Updates():
			if !ok {
				return
			}
			deliver(e)
		case <-timeout.C:
			return
		}
	}
}

// reconnected is called by the connection after a reconnect.
func (w *Watcher) reconnected() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Stop ends the watch and waits until the handler has returned for the
// last time. Not from inside the handler.
func (w *Watcher) Stop() {
	w.once.Do(w.cancel)
	<-w.done
	w.bucket.conn.owned.remove(w)
}
