package chat

import (
	"context"
	"sync"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// nopStore is the store of a hub configured without one (unit tests,
// benchmarks): nothing is kept, and appends are "committed" at once, with
// the room's next sequence number.
type nopStore struct {
	// mu (a leaf) guards seqs: numbering only, nothing is called under it.
	mu   *sync.Mutex
	seqs map[string]uint64
}

var _ store.Store = nopStore{}

func newNopStore() nopStore { return nopStore{mu: new(sync.Mutex), seqs: make(map[string]uint64)} }

func (s nopStore) Append(m store.Message, committed func(uint64, error)) {
	if m.Room != "" && m.Seq == 0 && s.mu != nil { // a zero nopStore (in test stores) numbers nothing
		s.mu.Lock()
		s.seqs[m.Room]++
		m.Seq = s.seqs[m.Room]
		s.mu.Unlock()
	}
	if committed != nil {
		committed(m.Seq, nil)
	}
}
func (nopStore) LastSeqs(context.Context) (map[string]uint64, error) {
	return nil, nil
}
func (nopStore) Recent(context.Context, string, uint64, int) ([]store.Message, error) {
	return nil, nil
}
func (nopStore) PruneBefore(context.Context, time.Time) (int64, error)        { return 0, nil }
func (nopStore) SaveOffline(context.Context, store.Message) error             { return nil }
func (nopStore) PeekOffline(context.Context, string) ([]store.Message, error) { return nil, nil }
func (nopStore) DeleteOffline(context.Context, string, []uint64) error        { return nil }
func (nopStore) ClaimNick(_ context.Context, _, key string) (string, error)   { return key, nil }
func (nopStore) NickOwner(context.Context, string) (string, error)            { return "", nil }
func (nopStore) OwnedNick(context.Context, string) (string, error)            { return "", nil }
func (nopStore) SetOperator(context.Context, string, bool) error              { return nil }
func (nopStore) Operators(context.Context) ([]string, error)                  { return nil, nil }
func (nopStore) AddBan(context.Context, store.Ban) error                      { return nil }
func (nopStore) RemoveBan(context.Context, string) (bool, error)              { return false, nil }
func (nopStore) Bans(context.Context, time.Time) ([]store.Ban, error)         { return nil, nil }
func (nopStore) AddMute(context.Context, store.Mute) error                    { return nil }
func (nopStore) RemoveMute(context.Context, string) (bool, error)             { return false, nil }
func (nopStore) Mutes(context.Context, time.Time) ([]store.Mute, error)       { return nil, nil }
func (nopStore) Audit(context.Context, store.AuditEntry) error                { return nil }
func (nopStore) AuditLog(context.Context, int) ([]store.AuditEntry, error)    { return nil, nil }
func (nopStore) SaveRoom(context.Context, store.RoomInfo) error               { return nil }
func (nopStore) LoadRooms(context.Context) ([]store.RoomInfo, error)          { return nil, nil }
func (nopStore) Prefs(context.Context, string) (map[string]string, error)     { return nil, nil }
func (nopStore) SetPref(context.Context, string, string, string) error        { return nil }
func (nopStore) Close() error                                                 { return nil }
func (nopStore) Room(context.Context, string) (store.RoomInfo, bool, error) {
	return store.RoomInfo{}, false, nil
}
func (nopStore) RoomSeq(context.Context, string) (uint64, error)       { return 0, nil }
func (nopStore) CountRooms(context.Context) (int, error)               { return 0, nil }
func (nopStore) DeleteRoom(context.Context, string) (bool, error)      { return false, nil }
func (nopStore) SeenKey(context.Context, string, time.Time) error      { return nil }
func (nopStore) ExpireNicks(context.Context, time.Time) (int64, error) { return 0, nil }
func (nopStore) ReleaseNick(context.Context, string) (string, error)   { return "", nil }

func (nopStore) ReadMarkers(context.Context, string, int) ([]store.Marker, error) { return nil, nil }
func (nopStore) SetReadMarkers(context.Context, []store.MarkerUpdate) error       { return nil }
func (nopStore) Since(context.Context, string, uint64, int) ([]store.Message, error) {
	return nil, nil
}
func (nopStore) CountSince(context.Context, string, uint64, int) (int, error) { return 0, nil }
func (nopStore) MentionsSince(context.Context, string, uint64, string, string, int) ([]store.Message, error) {
	return nil, nil
}
