package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Conformance of the mailboxes of private messages kept for offline owners.

func testOffline(t *testing.T, s store.Store) {
	pm := func(to, text string, sec int) store.Message {
		return store.Message{Time: base.Add(time.Duration(sec) * time.Second), Kind: store.KindPM,
			From: "alice", FromKey: "SHA256:alice", To: to, ToKey: "SHA256:" + to, Text: text}
	}
	first := pm("bob", "hi bob", 1)
	for _, m := range []store.Message{first, pm("carol", "hi carol", 2), pm("bob", "still there?", 3)} {
		must(t, s.SaveOffline(ctx(t), m))
	}
	if err := s.SaveOffline(ctx(t), store.Message{Time: base, Text: "nobody"}); err == nil {
		t.Error("SaveOffline without ToKey succeeded")
	}
	got, err := s.PeekOffline(ctx(t), "SHA256:bob")
	must(t, err)
	wantTexts(t, "PeekOffline(bob)", got, "hi bob", "still there?")
	if len(got) > 0 {
		g := got[0]
		if !g.Time.Equal(first.Time) {
			t.Errorf("time = %v, want %v", g.Time, first.Time)
		}
		if g.MailboxID == 0 {
			t.Error("a kept message has no MailboxID")
		}
		g.Time, g.MailboxID = first.Time, 0
		if g != first {
			t.Errorf("round trip = %+v, want %+v", g, first)
		}
	}
	// Peeking keeps them: a session that dies before showing them loses
	// nothing.
	again, err := s.PeekOffline(ctx(t), "SHA256:bob")
	must(t, err)
	wantTexts(t, "second PeekOffline(bob)", again, "hi bob", "still there?")

	// Deleting what was shown; ids of another mailbox are ignored.
	carol, err := s.PeekOffline(ctx(t), "SHA256:carol")
	must(t, err)
	must(t, s.DeleteOffline(ctx(t), "SHA256:bob", []uint64{got[0].MailboxID, carol[0].MailboxID}))
	got, err = s.PeekOffline(ctx(t), "SHA256:bob")
	must(t, err)
	wantTexts(t, "PeekOffline(bob) after deleting the first", got, "still there?")
	must(t, s.DeleteOffline(ctx(t), "SHA256:bob", []uint64{got[0].MailboxID}))
	got, err = s.PeekOffline(ctx(t), "SHA256:bob")
	must(t, err)
	wantTexts(t, "PeekOffline(bob) after deleting both", got)
	got, err = s.PeekOffline(ctx(t), "SHA256:carol")
	must(t, err)
	wantTexts(t, "PeekOffline(carol)", got, "hi carol")
}

// testMailboxFull: at most store.MaxOffline messages wait for one key.
func testMailboxFull(t *testing.T, s store.Store) {
	m := store.Message{Time: base, Kind: store.KindPM, To: "dave", ToKey: "SHA256:dave"}
	for i := range store.MaxOffline {
		m.FromKey = fmt.Sprintf("SHA256:friend%d", i%10) // within each sender's share
		m.Text = fmt.Sprintf("message %d", i)
		must(t, s.SaveOffline(ctx(t), m))
	}
	m.FromKey = "SHA256:newcomer"
	m.Text = "one too many"
	if err := s.SaveOffline(ctx(t), m); !errors.Is(err, store.ErrMailboxFull) {
		t.Fatalf("message %d: %v, want ErrMailboxFull", store.MaxOffline+1, err)
	}
	got, err := s.PeekOffline(ctx(t), "SHA256:dave")
	must(t, err)
	if len(got) != store.MaxOffline {
		t.Fatalf("kept %d, want %d", len(got), store.MaxOffline)
	}
	must(t, s.DeleteOffline(ctx(t), "SHA256:dave", []uint64{got[0].MailboxID}))
	must(t, s.SaveOffline(ctx(t), m)) // room again once one was shown
}

// testMailboxPerSender: one sender (a key, or a guest's address) may leave
// at most store.MaxOfflinePerSender messages for one key; others still can.
func testMailboxPerSender(t *testing.T, s store.Store) {
	m := store.Message{Time: base, Kind: store.KindPM, To: "erin", ToKey: "SHA256:erin"}
	fill := func(fromKey, fromAddr string) {
		t.Helper()
		m.FromKey, m.FromAddr = fromKey, fromAddr
		for i := range store.MaxOfflinePerSender {
			m.Text = fmt.Sprintf("%s%s %d", fromKey, fromAddr, i)
			must(t, s.SaveOffline(ctx(t), m))
		}
		if err := s.SaveOffline(ctx(t), m); !errors.Is(err, store.ErrSenderLimit) {
			t.Fatalf("message %d from %s%s: %v, want ErrSenderLimit", store.MaxOfflinePerSender+1, fromKey, fromAddr, err)
		}
	}
	fill("SHA256:junk", "")
	fill("", "192.0.2.7")                   // a guest, by address
	m.FromKey, m.FromAddr = "", "192.0.2.8" // another guest address is another sender
	must(t, s.SaveOffline(ctx(t), m))
	m.FromKey, m.FromAddr = "SHA256:friend", "192.0.2.7" // a key is counted by key, whatever its address
	must(t, s.SaveOffline(ctx(t), m))
	other := m
	other.ToKey = "SHA256:frank" // the share is per recipient
	other.FromKey, other.FromAddr = "SHA256:junk", ""
	must(t, s.SaveOffline(ctx(t), other))
	got, err := s.PeekOffline(ctx(t), "SHA256:erin")
	must(t, err)
	if want := 2*store.MaxOfflinePerSender + 2; len(got) != want {
		t.Fatalf("kept %d for erin, want %d", len(got), want)
	}
	if got[len(got)-1].FromAddr != "" {
		t.Errorf("a keyed sender's message kept its address %q", got[len(got)-1].FromAddr)
	}
}
