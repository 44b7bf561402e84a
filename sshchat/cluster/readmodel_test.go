package cluster_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/cluster"
	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
	"github.com/sshchat/sshchat/sshchat/store"
)

// historyCheck is a hub stand-in on node B: for every line the bus
// delivers, it asks B's read model, at that very moment, whether the line
// is there.
type historyCheck struct {
	t       *testing.T
	st      *cluster.Store
	mu      sync.Mutex
	seen    int
	missing []uint64
}

func (h *historyCheck) DeliverLine(l chat.Line) {
	lines, err := h.st.Recent(testContext(h.t), l.Msg.Room, l.Msg.Seq+1, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen++
	if err != nil || len(lines) != 1 || lines[0].Seq != l.Msg.Seq {
		h.missing = append(h.missing, l.Msg.Seq)
	}
}

func (h *historyCheck) ApplyChange(chat.Change) {}

func (h *historyCheck) counts() (int, []uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen, append([]uint64(nil), h.missing...)
}

// Lines published by node A reach node B's members only once B's read
// model has them: a line shown live on B is in B's history at the moment
// it is shown (the read model and live delivery are fed in one order).
func TestLineShownLiveIsAlreadyInTheOtherNodesHistory(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := openClusterStore(t, nats.URL(), "a")
	b := openClusterStore(t, nats.URL(), "b")
	conn, err := natsjs.Connect(testContext(t), natsjs.Options{URLs: []string{nats.URL()}, Name: "sshchat b bus", Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	stream, err := conn.EnsureStream(testContext(t), natsjs.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	bus, err := cluster.NewBus(testContext(t), stream, cluster.BusOptions{Node: "b", LinesFromStore: true, ReadModel: b, Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	check := &historyCheck{t: t, st: b}
	t.Cleanup(bus.Subscribe(check))

	const lines = 300
	var wg sync.WaitGroup
	for i := range lines {
		wg.Add(1)
		a.Append(store.Message{Room: "#live", Time: time.Now(), Kind: store.KindMsg, From: "alice", Text: fmt.Sprintf("l%d", i)},
			func(_ uint64, err error) {
				if err != nil {
					t.Errorf("line %d refused: %v", i, err)
				}
				wg.Done()
			})
	}
	waitGroup(t, "every line stored", &wg)
	for deadline := time.Now().Add(waitTimeout); ; {
		seen, missing := check.counts()
		if len(missing) > 0 {
			t.Fatalf("%d of %d lines shown live on node B before its history had them (first: %d)", len(missing), seen, missing[0])
		}
		if seen == lines {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node B delivered %d of %d lines", seen, lines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var historyHeading = regexp.MustCompile(`Last 1 line of #lobby:`)

// Through real SSH sessions on two whole nodes: bob, on node B, asks for
// /history as soon as he sees alice's line from node A live, and the
// history has it.
func TestHistoryRightAfterALiveLineHasItOnEveryNode(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{})
	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice"})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")

	// /history costs a credit (--history-burst 10): few rounds.
	const rounds = 8
	for i := range rounds {
		line := fmt.Sprintf("alice: round %d", i)
		alice.Send(fmt.Sprintf("round %d", i))
		bob.WaitFor(line)
		bob.Send("/history 1")
		text := bob.WaitUntil("the history answer", func(text string) bool {
			heads := historyHeading.FindAllStringIndex(text, -1)
			if len(heads) < i+1 {
				return false
			}
			return strings.Contains(text[heads[len(heads)-1][1]:], "alice: round")
		})
		heads := historyHeading.FindAllStringIndex(text, -1)
		answer := text[heads[len(heads)-1][1]:]
		if !strings.Contains(answer, line) {
			t.Fatalf("round %d: bob saw %q live on node B, and /history right after answered:%s", i, line, answer)
		}
	}
}

// A node restarted on the same data folder reads only what it missed:
// its read model resumes after the last stream sequence it had applied,
// and its history has no gap.
func TestRestartedNodeReadsOnlyWhatItMissed(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	dbPath := filepath.Join(t.TempDir(), "a.db")
	a := openClusterStoreWith(t, nats.URL(), "a", dbPath, cluster.StoreOptions{})
	b := openClusterStore(t, nats.URL(), "b")
	const before, missed = 120, 40
	appendLines(t, a, "#restart", "before", before)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	appendLines(t, b, "#restart", "missed", missed)

	a = openClusterStoreWith(t, nats.URL(), "a", dbPath, cluster.StoreOptions{})
	if n := a.ReadModelApplies(); n != missed {
		t.Fatalf("the restarted node applied %d lines of the stream at start, want only the %d it missed", n, missed)
	}
	lines := waitHistory(t, a, "#restart", before+missed)
	if len(lines) != before+missed {
		t.Fatalf("history has %d lines, want %d", len(lines), before+missed)
	}
	for i, m := range lines {
		if m.Seq != uint64(i+1) {
			t.Fatalf("history line %d has number %d: a gap or a repeat (%q)", i, m.Seq, m.Text)
		}
	}
	// And it goes on applying what comes next.
	appendLines(t, b, "#restart", "after", 1)
	waitHistory(t, a, "#restart", before+missed+1)
}

// appendLines appends n lines to room through st and waits until every
// one is stored.
func appendLines(t *testing.T, st *cluster.Store, room, prefix string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		st.Append(store.Message{Room: room, Time: time.Now(), Kind: store.KindMsg, From: "x", Text: fmt.Sprintf("%s %d", prefix, i)},
			func(_ uint64, err error) {
				if err != nil {
					t.Errorf("%s %d refused: %v", prefix, i, err)
				}
				wg.Done()
			})
	}
	waitGroup(t, "every "+prefix+" line stored", &wg)
}

// A node's saved mark counts in the stream it was saved for: pointed at a
// stream made anew (here another NATS server) that already holds more
// messages than the mark, the node reads that stream from its start
// rather than skip its first messages.
func TestNodeOnAStreamMadeAnewReadsItFromTheStart(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "a.db")
	first := natsjstest.Run(t, natsjstest.Options{})
	a := openClusterStoreWith(t, first.URL(), "a", dbPath, cluster.StoreOptions{})
	appendLines(t, a, "#old", "old", 50)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	second := natsjstest.Run(t, natsjstest.Options{})
	b := openClusterStore(t, second.URL(), "b")
	const fresh = 80
	appendLines(t, b, "#fresh", "fresh", fresh)
	a = openClusterStoreWith(t, second.URL(), "a", dbPath, cluster.StoreOptions{})
	if n := a.ReadModelApplies(); n != fresh {
		t.Fatalf("on the new stream the node applied %d lines at start, want all %d", n, fresh)
	}
	if lines := waitHistory(t, a, "#fresh", fresh); lines[0].Seq != 1 {
		t.Fatalf("history of #fresh starts at %d, want 1", lines[0].Seq)
	}
}
