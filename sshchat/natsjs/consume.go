package natsjs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Delivery is one stored message, as the stream ordered it.
type Delivery struct {
	// Seq is the stream sequence; deliveries come in increasing Seq.
	Seq     uint64
	Subject string
	Payload []byte
	// MsgID is the id the message was published with ("" if none).
	MsgID string
	// Time is when the stream stored it.
	Time time.Time
}

// Buffering and liveness of the ordered consumer. The client pulls up to
// consumeBatch messages or consumeBytes ahead of the handler (the bound on
// what a slow handler lets pile up), and a consumer that hears no heartbeat
// for two periods is recreated from the last delivered sequence: that is
// how a node notices that the server holding its consumer died while its
// own connection (to another server) stayed up. One heartbeat a second per
// node is negligible traffic and keeps that fail-over to a few seconds.
const (
	consumeBatch     = 500
	consumeBytes     = 4 << 20
	consumeExpiry    = 5 * time.Second
	consumeHeartbeat = time.Second
	consumeRetryWait = 250 * time.Millisecond
)

// Consumer delivers the stream in order to one handler, until Stop.
type Consumer struct {
	conn *Conn
	iter jetstream.MessagesContext
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Consume delivers every message from stream sequence from (1 or 0: from the
// first) on, in order, each exactly once by sequence, to handle, which runs
// on the Consumer's own goroutine: the next message waits until it returns
// (a slow handler slows only this node's consumption; the client buffers a
// bounded amount ahead of it).
//
// It is an ordered consumer: ephemeral, no acknowledgements, recreated by
// the client from the next sequence when it loses messages, heartbeats or
// the connection (server restart, reconnect to another server, leader
// change), so it resumes where it stopped without gaps or repeats. A node
// that restarts passes the last sequence it applied plus one.
func (s *Stream) Consume(ctx context.Context, from uint64, handle func(Delivery)) (*Consumer, error) {
	ctx, cancel := s.conn.requestContext(ctx)
	defer cancel()
	cfg := jetstream.OrderedConsumerConfig{
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: time.Minute,
	}
	if from > 1 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = from
	}
	oc, err := s.conn.js.OrderedConsumer(ctx, s.name, cfg)
	if err != nil {
		return nil, s.conn.unavailable(fmt.Errorf("natsjs: ordered consumer on %s from %d: %w", s.name, from, err))
	}
	iter, err := oc.Messages(
		jetstream.PullMaxMessagesWithBytesLimit(consumeBatch, consumeBytes),
		jetstream.PullExpiry(consumeExpiry),
		jetstream.PullHeartbeat(consumeHeartbeat),
	)
	if err != nil {
		return nil, s.conn.unavailable(fmt.Errorf("natsjs: consume %s from %d: %w", s.name, from, err))
	}
	c := &Consumer{conn: s.conn, iter: iter, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run(s, from, handle)
	if err := s.conn.owned.add(c); err != nil {
		return nil, fmt.Errorf("natsjs: consume %s: %w", s.name, err)
	}
	return c, nil
}

func (c *Consumer) run(s *Stream, from uint64, handle func(Delivery)) {
	defer close(c.done)
	last := uint64(0)
	if from > 0 {
		last = from - 1
	}
	for {
		msg, err := c.iter.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			// Timeouts and the like: the ordered consumer recreates itself
			// on the next call; wait a little so a persistent error does not
			// spin, and stop promptly when asked.
			s.conn.log.Debug("NATS consume: retrying", "stream", s.name, "err", err)
			select {
			case <-c.stop:
				return
			case <-time.After(consumeRetryWait):
			}
			continue
		}
		meta, err := msg.Metadata()
		if err != nil {
			s.conn.log.Warn("NATS consume: message without metadata", "stream", s.name, "err", err)
			continue
		}
		seq := meta.Sequence.Stream
		// The ordered consumer already guarantees this; checking costs
		// nothing and makes "each sequence once, in order" local to here.
		if seq <= last {
			continue
		}
		last = seq
		handle(Delivery{
			Seq:     seq,
			Subject: msg.Subject(),
			Payload: msg.Data(),
			MsgID:   msg.Headers().Get(jetstream.MsgIDHeader),
			Time:    meta.Timestamp,
		})
	}
}

// Stop ends consumption and waits until the handler has returned for the
// last time. It may be called more than once and from any goroutine except
// the handler's. While NATS is away it can take up to ~10 s: the library
// re-creates its consumer under a lock, one attempt at a time.
func (c *Consumer) Stop() {
	c.once.Do(func() {
		close(c.stop)
		c.iter.Stop()
	})
	<-c.done
	c.conn.owned.remove(c)
}
