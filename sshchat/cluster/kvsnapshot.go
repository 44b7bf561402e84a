package cluster

import (
	"context"
	"fmt"
	"sync"

	"github.com/sshchat/sshchat/sshchat/natsjs"
)

// snapshot returns the latest value of every key of b. It reads the
// whole bucket: for the small buckets (operators, bans, rooms, counters)
// and the rare scans (nick expiry), not for a line's path.
func snapshot(ctx context.Context, b *natsjs.Bucket) (map[string]natsjs.Entry, error) {
	var mu sync.Mutex
	entries := map[string]natsjs.Entry{}
	ready := make(chan struct{})
	var once sync.Once
	w, err := b.Watch(ctx, func(e natsjs.Entry) {
		mu.Lock()
		defer mu.Unlock()
		if e.Op == natsjs.OpPut {
			entries[e.Key] = e
		} else {
			delete(entries, e.Key)
		}
	}, func() { once.Do(func() { close(ready) }) })
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	select {
	case <-ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("read bucket: %w", ctx.Err())
	}
	mu.Lock()
	defer mu.Unlock()
	out := make(map[string]natsjs.Entry, len(entries))
	for k, e := range entries {
		out[k] = e
	}
	return out, nil
}
