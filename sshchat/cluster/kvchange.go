package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sshchat/sshchat/sshchat/natsjs"
)

// maxChangeTries bounds the compare-and-set retries of changeJSON: each
// retry means another node changed the same key meanwhile, which for one
// person's preferences or markers is rare; a key fought over harder than
// this fails the change rather than spin.
const maxChangeTries = 16

// getJSON reads key of b into v; rev is 0 (and v untouched) when the key
// is absent.
func getJSON(ctx context.Context, b *natsjs.Bucket, key string, v any) (rev uint64, err error) {
	e, err := b.Get(ctx, key)
	if errors.Is(err, natsjs.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(e.Value, v); err != nil {
		return 0, fmt.Errorf("decode %s: %w", key, err)
	}
	return e.Revision, nil
}

// changeJSON applies change to the JSON value of key with compare-and-set,
// again (at most maxChangeTries times) when another node changed it
// meanwhile. change gets a zero value and found=false for an absent key;
// it returns false when nothing needs writing.
func changeJSON[T any](ctx context.Context, b *natsjs.Bucket, key string, change func(v *T, found bool) (write bool, err error)) error {
	for range maxChangeTries {
		var v T
		rev, err := getJSON(ctx, b, key, &v)
		if err != nil {
			return err
		}
		write, err := change(&v, rev != 0)
		if err != nil || !write {
			return err
		}
		val, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", key, err)
		}
		if rev == 0 {
			_, err = b.Create(ctx, key, val)
		} else {
			_, err = b.Update(ctx, key, val, rev)
		}
		if errors.Is(err, natsjs.ErrExists) || errors.Is(err, natsjs.ErrRevisionMismatch) {
			continue
		}
		return err
	}
	return fmt.Errorf("change %s: still changing elsewhere after %d tries", key, maxChangeTries)
}
