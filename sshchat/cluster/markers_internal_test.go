package cluster

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// A key that read in more rooms than one value keeps loses the markers it
// moved longest ago from the shared value, never the newest; the value
// stays within the bucket's value size.
func TestSharedMarkersPerKeyAreCapped(t *testing.T) {
	v := sharedMarkers{}
	base := time.Now()
	for i := range 3 * maxSharedMarkersPerKey {
		room := fmt.Sprintf("#%031d", i) // the longest room name
		v.merge(store.Fold(room), sharedMarker{Room: room, Seq: 1 << 62, Updated: base.Add(time.Duration(i) * time.Second).UnixMicro()})
	}
	v.trim()
	if len(v) != maxSharedMarkersPerKey {
		t.Fatalf("kept %d markers, want %d", len(v), maxSharedMarkersPerKey)
	}
	newest := fmt.Sprintf("#%031d", 3*maxSharedMarkersPerKey-1)
	if _, ok := v[store.Fold(newest)]; !ok {
		t.Fatal("the newest marker was dropped")
	}
	if val, _ := json.Marshal(v); len(val) > markersValueSize {
		t.Fatalf("a full value is %d bytes, over the bucket's %d", len(val), markersValueSize)
	}
}

// A flood of markers waiting to be shared (NATS slow or away) is bounded:
// past maxSharedPending new ones are dropped (the local store has them),
// known ones still move forward.
func TestSharedMarkerBacklogIsCapped(t *testing.T) {
	ms := &markerShare{log: slog.New(slog.NewTextHandler(io.Discard, nil)), pending: map[string]sharedMarkers{}, wake: make(chan struct{}, 1)}
	now := time.Now()
	batch := make([]store.MarkerUpdate, 0, 1000)
	for i := range maxSharedPending + 5000 {
		batch = append(batch, store.MarkerUpdate{Key: fmt.Sprintf("SHA256:k%d", i%5000), Room: fmt.Sprintf("#r%d", i), Seq: 1, Updated: now})
		if len(batch) == cap(batch) {
			ms.add(batch)
			batch = batch[:0]
		}
	}
	ms.add(batch)
	ms.add([]store.MarkerUpdate{{Key: "SHA256:k0", Room: "#r0", Seq: 9, Updated: now}})
	got, dropped := ms.take()
	n := 0
	for _, v := range got {
		n += len(v)
	}
	if n != maxSharedPending || dropped != 5000 {
		t.Fatalf("pending %d, dropped %d; want %d and 5000", n, dropped, maxSharedPending)
	}
	if got["SHA256:k0"]["#r0"].Seq != 9 {
		t.Fatal("a known marker did not move forward at the bound")
	}
}
