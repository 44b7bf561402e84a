package natsjs

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Ack is the stream's acknowledgement of a stored message.
type Ack struct {
	// Seq is the message's stream sequence: its place in the one order.
	Seq uint64
	// Duplicate is true when a message with the same id was already stored
	// within the duplicate window; Seq is then that earlier message's.
	Duplicate bool
}

// Message is one message to publish.
type Message struct {
	Subject string
	Payload []byte
	// MsgID identifies the message for deduplication: a publish retried
	// with the same id within the stream's duplicate window is stored once.
	// It should be unique per message and stable across retries (e.g. node
	// id + local counter).
	MsgID string
}

// Publish stores one message and returns once the stream has acknowledged
// it (with replicas: once a quorum has it). Only then is the message
// accepted; on any error it may or may not be stored, and retrying with the
// same MsgID within the duplicate window is safe. While NATS is
// disconnected it fails at once with ErrUnavailable.
func (s *Stream) Publish(ctx context.Context, subject string, payload []byte, msgID string) (Ack, error) {
	ctx, cancel := s.conn.requestContext(ctx)
	defer cancel()
	pa, err := s.conn.js.PublishMsg(ctx, s.natsMsg(subject, payload), s.publishOpts(msgID)...)
	if err != nil {
		return Ack{}, s.conn.unavailable(fmt.Errorf("natsjs: publish to %s: %w", subject, err))
	}
	return Ack{Seq: pa.Sequence, Duplicate: pa.Duplicate}, nil
}

// PublishBatch stores several messages, sending them all before waiting for
// their acknowledgements (asynchronous publish), which is far faster than
// one Publish after another. It returns one Ack per message, in the same
// order; on error the acks received so far, and the messages after the
// first failure may or may not be stored (retry them with the same ids).
func (s *Stream) PublishBatch(ctx context.Context, msgs []Message) ([]Ack, error) {
	ctx, cancel := s.conn.requestContext(ctx)
	defer cancel()
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, m := range msgs {
		f, err := s.conn.js.PublishMsgAsync(s.natsMsg(m.Subject, m.Payload), s.publishOpts(m.MsgID)...)
		if err != nil {
			return s.collect(ctx, futures, s.conn.unavailable(fmt.Errorf("natsjs: publish to %s: %w", m.Subject, err)))
		}
		futures = append(futures, f)
	}
	return s.collect(ctx, futures, nil)
}

// collect waits for the acknowledgements of futures in order, stopping at the
// first error (or sendErr, after the acks of what was sent).
func (s *Stream) collect(ctx context.Context, futures []jetstream.PubAckFuture, sendErr error) ([]Ack, error) {
	acks := make([]Ack, 0, len(futures))
	for _, f := range futures {
		select {
		case pa := <-f.Ok():
			acks = append(acks, Ack{Seq: pa.Sequence, Duplicate: pa.Duplicate})
		case err := <-f.Err():
			return acks, s.conn.unavailable(fmt.Errorf("natsjs: publish to %s: %w", f.Msg().Subject, err))
		case <-ctx.Done():
			return acks, s.conn.unavailable(fmt.Errorf("natsjs: waiting for acknowledgements: %w", ctx.Err()))
		}
	}
	return acks, sendErr
}

func (s *Stream) natsMsg(subject string, payload []byte) *nats.Msg {
	return &nats.Msg{Subject: subject, Data: payload}
}

func (s *Stream) publishOpts(msgID string) []jetstream.PublishOpt {
	// ExpectStream: a subject that some other stream captured is an error,
	// not a silent store elsewhere.
	opts := []jetstream.PublishOpt{jetstream.WithExpectStream(s.name)}
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	return opts
}
