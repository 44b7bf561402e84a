package store

import "context"

// Preferences are per-key settings (theme, timestamps, time zone, bell...).
type Preferences interface {
	// Prefs returns every setting of key (an empty, non-nil map if none).
	Prefs(ctx context.Context, key string) (map[string]string, error)
	// SetPref sets one setting of key; an empty value deletes it.
	SetPref(ctx context.Context, key, name, value string) error
}
