// Package storetest is the conformance suite of store.Store: every backend
// (SQLite, the in-memory memstore, and NATS JetStream later) runs Run
// against fresh stores, so that the chat domain can rely on the documented
// behaviour and not on one engine's accidents. Optional capabilities
// (Searcher, GuestNumbers) are tested where a store has them.
package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Opener returns a fresh, empty store. Run closes it at the end of each
// subtest (closing it again must be harmless).
type Opener func(t *testing.T) store.Store

// base is a whole-millisecond UTC time, so that every backend round-trips it.
var base = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Run runs every conformance test as a subtest.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"AppendRecent", testAppendRecent},
		{"AppendFIFO", testAppendFIFO},
		{"AppendConcurrent", testAppendConcurrent},
		{"AppendRejects", testAppendRejects},
		{"AppendPrivate", testAppendPrivate},
		{"StoreAssignsSeq", testStoreAssignsSeq},
		{"StoreSeqOrderPerRoom", testStoreSeqOrderPerRoom},
		{"GuestNumbers", testGuestNumbers},
		{"LastSeqs", testLastSeqs},
		{"Search", testSearch},
		{"Prune", testPrune},
		{"Offline", testOffline},
		{"MailboxFull", testMailboxFull},
		{"MailboxPerSender", testMailboxPerSender},
		{"Nicks", testNicks},
		{"Operators", testOperators},
		{"Bans", testBans},
		{"Mutes", testMutes},
		{"Audit", testAudit},
		{"Rooms", testRooms},
		{"RoomOnDemand", testRoomOnDemand},
		{"NickExpiry", testNickExpiry},
		{"Prefs", testPrefs},
		{"Markers", testMarkers},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

// Msg returns a room message with whole-millisecond time base+seq seconds.
func Msg(room string, seq uint64, text string) store.Message {
	return store.Message{
		Room: room, Seq: seq, Time: base.Add(time.Duration(seq) * time.Second),
		Kind: store.KindMsg, From: "alice", FromKey: "SHA256:alice", Text: text,
	}
}

// AppendWait appends ms and waits for every callback; it fails t on the
// first error.
func AppendWait(t testing.TB, s store.History, ms ...store.Message) {
	t.Helper()
	errs := AppendAll(s, ms...)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("append %s seq %d: %v", ms[i].Room, ms[i].Seq, err)
		}
	}
}

// AppendAll appends ms and returns each callback's error once all came.
func AppendAll(s store.History, ms ...store.Message) []error {
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	wg.Add(len(ms))
	for i, m := range ms {
		s.Append(m, func(_ uint64, err error) { errs[i] = err; wg.Done() })
	}
	wg.Wait()
	return errs
}

func ctx(t *testing.T) context.Context { return t.Context() }

func texts(ms []store.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func wantTexts(t *testing.T, what string, ms []store.Message, want ...string) {
	t.Helper()
	if got := texts(ms); !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
