//go:build race

package sqlite

// raceEnabled: the race detector slows the SQLite engine (Go code) ~50x.
const raceEnabled = true
