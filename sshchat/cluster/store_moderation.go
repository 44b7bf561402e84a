package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Operators, bans and mutes in the moderation bucket under "op/<key>",
// "ban/<target>", "mute/<key>". The audit trail is in store_audit.go.

func (s *Store) SetOperator(ctx context.Context, key string, op bool) error {
	var err error
	if op {
		_, err = s.mod.Put(ctx, "op/"+key, []byte{1})
	} else if err = s.mod.Delete(ctx, "op/"+key, 0); errors.Is(err, natsjs.ErrNotFound) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("set operator: %w", err)
	}
	return nil
}

func (s *Store) Operators(ctx context.Context) ([]string, error) {
	all, err := snapshot(ctx, s.mod)
	if err != nil {
		return nil, fmt.Errorf("operators: %w", err)
	}
	var out []string
	for k := range all {
		if key, ok := strings.CutPrefix(k, "op/"); ok {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *Store) AddBan(ctx context.Context, b store.Ban) error {
	val, _ := json.Marshal(b)
	if _, err := s.mod.Put(ctx, "ban/"+b.Target, val); err != nil {
		return fmt.Errorf("add ban: %w", err)
	}
	return nil
}

// removeKey deletes key and reports whether it was there.
func (s *Store) removeKey(ctx context.Context, key string) (bool, error) {
	e, err := s.mod.Get(ctx, key)
	if errors.Is(err, natsjs.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := s.mod.Delete(ctx, key, e.Revision); err != nil && !errors.Is(err, natsjs.ErrRevisionMismatch) {
		return false, err
	}
	return true, nil
}

func (s *Store) RemoveBan(ctx context.Context, target string) (bool, error) {
	ok, err := s.removeKey(ctx, "ban/"+target)
	if err != nil {
		return false, fmt.Errorf("remove ban: %w", err)
	}
	return ok, nil
}

func (s *Store) Bans(ctx context.Context, now time.Time) ([]store.Ban, error) {
	all, err := snapshot(ctx, s.mod)
	if err != nil {
		return nil, fmt.Errorf("bans: %w", err)
	}
	var out []store.Ban
	for k, e := range all {
		var b store.Ban
		if strings.HasPrefix(k, "ban/") && json.Unmarshal(e.Value, &b) == nil && b.Active(now) {
			out = append(out, b)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Target < out[j].Target
	})
	return out, nil
}

func (s *Store) AddMute(ctx context.Context, m store.Mute) error {
	val, _ := json.Marshal(m)
	if _, err := s.mod.Put(ctx, "mute/"+m.Key, val); err != nil {
		return fmt.Errorf("add mute: %w", err)
	}
	return nil
}

func (s *Store) RemoveMute(ctx context.Context, key string) (bool, error) {
	ok, err := s.removeKey(ctx, "mute/"+key)
	if err != nil {
		return false, fmt.Errorf("remove mute: %w", err)
	}
	return ok, nil
}

func (s *Store) Mutes(ctx context.Context, now time.Time) ([]store.Mute, error) {
	all, err := snapshot(ctx, s.mod)
	if err != nil {
		return nil, fmt.Errorf("mutes: %w", err)
	}
	var out []store.Mute
	for k, e := range all {
		var m store.Mute
		if strings.HasPrefix(k, "mute/") && json.Unmarshal(e.Value, &m) == nil && m.Active(now) {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}
