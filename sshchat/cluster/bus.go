package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Defaults for BusOptions fields left zero.
const (
	DefaultGapWait     = 2 * time.Second
	DefaultMaxHeld     = 1024
	DefaultMaxQueued   = 4096
	defaultRetryWait   = 100 * time.Millisecond
	maxRetryWait       = 2 * time.Second
	dispatchBuffer     = 256
	gapCheckInterval   = 100 * time.Millisecond
	publishAttemptTime = 10 * time.Second
)

// BusOptions shapes a Bus.
type BusOptions struct {
	// Node names this node in message ids; it must differ between nodes
	// sharing a stream. Default: the stream connection's random id.
	Node string
	// GapWait is how long a room line waits for its predecessor (published
	// by another node) before it is delivered without it.
	GapWait time.Duration
	// MaxHeld bounds the lines held back waiting for a predecessor, over
	// all rooms; past it the oldest gap is given up at once.
	MaxHeld int
	// MaxQueued bounds what waits to be published; past it a line is
	// stored but not delivered live (history still shows it) and a warning
	// is logged. It fills only while NATS is away.
	MaxQueued int
	// LinesFromStore: the store (Store of this package) publishes every
	// room line to the stream itself, so PublishLine publishes nothing
	// and the bus only delivers what the stream carries.
	LinesFromStore bool
	// ReadModel, when set, is this node's Store: a room line is delivered
	// to the hubs only once that store's read model has it (waiting at
	// most appliedWait), so /history right after a line was shown live
	// contains it.
	ReadModel *Store
	Logger    *slog.Logger
}

// Bus is the NATS chat.Bus of one node. Close it after the hubs that use
// it have stopped.
type Bus struct {
	stream *natsjs.Stream
	subj   natsjs.Subjects
	node   string
	o      BusOptions
	log    *slog.Logger

	out     chan outgoing // lines and changes waiting to be published, in order
	changes atomic.Uint64 // counter for change message ids

	subs chat.Subscribers

	consumer *natsjs.Consumer
	in       chan natsjs.Delivery // consumer → dispatcher
	stop     chan struct{}
	wg       sync.WaitGroup
	closed   sync.Once

	dropped atomic.Uint64 // lines not published because the queue was full
}

type outgoing struct {
	subject string
	payload []byte
	msgID   string
}

// changeWire is a chat.Change on the stream.
type changeWire struct {
	Kind uint8  `json:"k"`
	Room string `json:"r,omitempty"`
	// A private message for someone online on node N (chat.ChangePrivate).
	Private *store.Message `json:"p,omitempty"`
	Node    string         `json:"n,omitempty"`
}

// NewBus starts consuming the stream from its current end (earlier lines
// are the store's history, not live news) and publishing what the hubs
// of this node publish.
func NewBus(ctx context.Context, stream *natsjs.Stream, o BusOptions) (*Bus, error) {
	if o.GapWait <= 0 {
		o.GapWait = DefaultGapWait
	}
	if o.MaxHeld <= 0 {
		o.MaxHeld = DefaultMaxHeld
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = DefaultMaxQueued
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Node == "" {
		o.Node = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	st, err := stream.State(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster bus: read stream state: %w", err)
	}
	b := &Bus{
		stream: stream, subj: stream.Subjects(), node: o.Node, o: o,
		log:  o.Logger.With("component", "cluster-bus", "node", o.Node),
		out:  make(chan outgoing, o.MaxQueued),
		in:   make(chan natsjs.Delivery, dispatchBuffer),
		stop: make(chan struct{}),
	}
	// The consumer's handler only hands over: the dispatcher owns the
	// per-room order and the gap timer, one goroutine for both.
	b.consumer, err = stream.Consume(ctx, st.LastSeq+1, func(d natsjs.Delivery) {
		select {
		case b.in <- d:
		case <-b.stop:
		}
	})
	if err != nil {
		return nil, fmt.Errorf("cluster bus: consume stream: %w", err)
	}
	b.wg.Add(2)
	go b.publishLoop()
	go b.dispatchLoop()
	return b, nil
}

// Close stops consuming and publishing. Lines still queued are not
// published (they are in the store).
func (b *Bus) Close() {
	b.closed.Do(func() {
		close(b.stop)
		b.consumer.Stop()
		b.wg.Wait()
	})
}

// PublishLine queues a stored room line for the stream. It runs on the
// store's writer goroutine, so it never waits.
func (b *Bus) PublishLine(l chat.Line) {
	if b.o.LinesFromStore {
		return
	}
	m := l.Msg
	room := chat.FoldRoom(m.Room)
	subject, err := b.subj.Room(room)
	if err != nil {
		b.log.Error("publish line: subject", "room", m.Room, "err", err)
		return
	}
	payload, err := json.Marshal(m)
	if err != nil {
		b.log.Error("publish line: encode", "room", m.Room, "err", err)
		return
	}
	b.enqueue(outgoing{subject: subject, payload: payload,
		msgID: b.node + "/" + room + "/" + strconv.FormatUint(m.Seq, 10)})
}

// PublishChange queues a change of shared state for every node.
func (b *Bus) PublishChange(c chat.Change) {
	payload, _ := json.Marshal(changeWire{Kind: uint8(c.Kind), Room: c.Room, Private: c.Private, Node: c.ToNode})
	b.enqueue(outgoing{subject: b.subj.Event(), payload: payload,
		msgID: b.node + "/c/" + strconv.FormatUint(b.changes.Add(1), 10)})
}

func (b *Bus) enqueue(o outgoing) {
	select {
	case b.out <- o:
	default:
		if b.dropped.Add(1)%100 == 1 {
			b.log.Warn("publish queue full (NATS away?): line stored but not shown live", "dropped", b.dropped.Load())
		}
	}
}

// Subscribe adds a hub; stop removes it.
func (b *Bus) Subscribe(s chat.Subscriber) (stop func()) { return b.subs.Add(s) }

// publishLoop publishes queued messages one at a time, in order, retrying
// each with its message id until the stream acknowledges it (stored once
// however often it is retried within the duplicate window).
func (b *Bus) publishLoop() {
	defer b.wg.Done()
	defer b.recoverPanic("publish loop")
	for {
		select {
		case <-b.stop:
			return
		case o := <-b.out:
			b.publishUntilStored(o)
		}
	}
}

func (b *Bus) publishUntilStored(o outgoing) {
	wait := defaultRetryWait
	for {
		ctx, cancel := context.WithTimeout(context.Background(), publishAttemptTime)
		_, err := b.stream.Publish(ctx, o.subject, o.payload, o.msgID)
		cancel()
		if err == nil {
			return
		}
		if !errors.Is(err, natsjs.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
			b.log.Error("publish refused; not retried", "subject", o.subject, "err", err)
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-b.stop:
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, maxRetryWait)
	}
}

// dispatchLoop decodes what the stream delivers and hands it to the hubs:
// room lines in each room's order, changes as they come.
func (b *Bus) dispatchLoop() {
	defer b.wg.Done()
	defer b.recoverPanic("dispatch loop")
	seq := newSequencer(b.o.GapWait, b.o.MaxHeld)
	tick := time.NewTicker(gapCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case now := <-tick.C:
			b.deliver(seq.expired(now))
		case d := <-b.in:
			b.dispatch(seq, d)
		}
	}
}

func (b *Bus) dispatch(seq *sequencer, d natsjs.Delivery) {
	kind, _, err := b.subj.Parse(d.Subject)
	if err != nil {
		b.log.Warn("ignoring message on a foreign subject", "subject", d.Subject, "err", err)
		return
	}
	switch kind {
	case natsjs.KindRoom:
		var m store.Message
		if err := json.Unmarshal(d.Payload, &m); err != nil {
			b.log.Warn("ignoring undecodable line", "seq", d.Seq, "err", err)
			return
		}
		if rm := b.o.ReadModel; rm != nil && !rm.WaitApplied(d.Seq, appliedWait, b.stop) {
			select {
			case <-b.stop:
				return
			default:
			}
			b.log.Warn("read model behind: a line is shown before /history has it", "room", m.Room, "seq", m.Seq)
		}
		b.deliver(seq.add(m, time.Now()))
	case natsjs.KindEvent:
		var c changeWire
		if err := json.Unmarshal(d.Payload, &c); err != nil {
			b.log.Warn("ignoring undecodable change", "seq", d.Seq, "err", err)
			return
		}
		// Every hub reads the change again from the store, the one that
		// made it too (harmless: it reads what it wrote).
		ch := chat.Change{Kind: chat.ChangeKind(c.Kind), Room: c.Room, Private: c.Private, ToNode: c.Node}
		for _, s := range b.subs.All() {
			s.ApplyChange(ch)
		}
	}
}

func (b *Bus) deliver(msgs []store.Message) {
	if len(msgs) == 0 {
		return
	}
	subs := b.subs.All()
	for _, m := range msgs {
		for _, s := range subs {
			s.DeliverLine(chat.Line{Msg: m})
		}
	}
}

func (b *Bus) recoverPanic(where string) {
	if r := recover(); r != nil {
		b.log.Error("panic in cluster bus", "where", where, "panic", r)
	}
}
