package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Preferences (theme, timestamps, time zone, bell, the ignore list...) in
// the prefs bucket: one value per key holding all of its settings, changed
// by compare-and-set, so a setting made on one node is what every node
// loads when that key next joins there. A session already open on another
// node keeps what it loaded until it reconnects.
//
// A key with no value in the bucket yet reads the node's local store: a
// node that ran alone before joining a cluster keeps its people's settings,
// and its first change copies them into the bucket.

// Bounds of one key's preferences. The chat keeps a handful of settings,
// the largest an ignore list of at most chat.MaxIgnored fingerprints
// (about 5 KiB); these stop anything else from growing a value without
// limit (the bucket refuses larger values too).
const (
	prefsValueSize = 16 << 10
	maxPrefs       = 32
	maxPrefValue   = 8 << 10
)

// ErrPrefsTooLarge refuses a setting past the bounds above.
var ErrPrefsTooLarge = errors.New("preferences too large")

// Prefs returns every setting of key.
func (s *Store) Prefs(ctx context.Context, key string) (map[string]string, error) {
	var p map[string]string
	rev, err := getJSON(ctx, s.prefs, key, &p)
	if err != nil {
		return nil, fmt.Errorf("preferences of %s: %w", key, err)
	}
	if rev == 0 {
		return s.local.Prefs(ctx, key)
	}
	if p == nil {
		p = map[string]string{}
	}
	return p, nil
}

// SetPref sets one setting of key on every node; an empty value deletes it.
func (s *Store) SetPref(ctx context.Context, key, name, value string) error {
	if key == "" || name == "" {
		return errors.New("set preference: empty key or name")
	}
	if len(name) > maxPrefValue || len(value) > maxPrefValue {
		return fmt.Errorf("set preference %s: %w", name, ErrPrefsTooLarge)
	}
	err := changeJSON(ctx, s.prefs, key, func(p *map[string]string, found bool) (bool, error) {
		if !found {
			local, err := s.local.Prefs(ctx, key)
			if err != nil {
				return false, err
			}
			*p = local
		}
		if *p == nil {
			*p = map[string]string{}
		}
		if value == "" {
			delete(*p, name)
			return true, nil
		}
		if _, ok := (*p)[name]; !ok && len(*p) >= maxPrefs {
			return false, ErrPrefsTooLarge
		}
		(*p)[name] = value
		if val, _ := json.Marshal(*p); len(val) > prefsValueSize {
			return false, ErrPrefsTooLarge
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("set preference %s of %s: %w", name, key, err)
	}
	return nil
}
