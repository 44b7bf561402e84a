package store

import "errors"

// Store is everything durable; Close flushes queued Appends (calling their
// callbacks) and closes. After Close, Append calls committed with ErrClosed.
type Store interface {
	History
	Identities
	Moderation
	Rooms
	Preferences
	Markers
	// Close flushes queued Appends, calling their callbacks, then releases
	// the engine. Calling Close again returns nil.
	Close() error
}

// ErrClosed is returned (or passed to an Append callback) once the store is
// closed.
var ErrClosed = errors.New("store closed")

// Fold returns s with ASCII letters lower-cased and every other byte kept:
// the case fold used for nicks and room names. Unicode letters are not
// folded on purpose, so the fold is the same in every backend and language.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + ('a' - 'A')
				}
			}
			return string(b)
		}
	}
	return s
}
