package natsjs

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Defaults for StreamConfig fields left zero.
const (
	DefaultStreamName = "SSHCHAT"
	// DefaultDuplicates is JetStream's own default duplicate window: a
	// publish retried with the same message id within it is stored once.
	DefaultDuplicates = 2 * time.Minute
	// DefaultMaxMsgSize bounds one stored message; chat lines are far
	// smaller, and NATS's own payload limit is 1 MiB.
	DefaultMaxMsgSize = 64 << 10
)

// StreamConfig describes the one stream that carries every chat subject.
type StreamConfig struct {
	// Name of the stream; default DefaultStreamName.
	Name string
	// Subjects is the subject scheme; the stream binds Subjects.All().
	Subjects Subjects
	// Replicas: 1 for a single NATS server, 3 in a three-server cluster
	// (then an acknowledged line survives losing any one server, and an
	// operating system crash of one machine). Default 1.
	Replicas int
	// Duplicates is the duplicate window for message ids; default
	// DefaultDuplicates, cut to MaxAge when MaxAge is shorter (the server
	// refuses a longer window).
	Duplicates time.Duration
	// MaxAge drops messages older than this; 0 keeps them forever.
	MaxAge time.Duration
	// MaxBytes drops the oldest messages past this size; 0 is unlimited.
	MaxBytes int64
	// MaxMsgSize refuses a larger message; default DefaultMaxMsgSize.
	MaxMsgSize int32
}

// Stream is the chat stream, bound to a connection.
type Stream struct {
	conn     *Conn
	name     string
	subjects Subjects
	stream   jetstream.Stream
}

// EnsureStream creates the stream, or updates its limits to cfg if it
// exists: every node may call it at start, in any order, any number of
// times. Its storage is files.
func (c *Conn) EnsureStream(ctx context.Context, cfg StreamConfig) (*Stream, error) {
	ctx, cancel := c.requestContext(ctx)
	defer cancel()
	js := streamConfig(cfg)
	s, err := c.js.CreateOrUpdateStream(ctx, js)
	if err != nil {
		return nil, c.unavailable(fmt.Errorf("natsjs: create or update stream %s: %w", js.Name, err))
	}
	return &Stream{conn: c, name: js.Name, subjects: cfg.Subjects, stream: s}, nil
}

func streamConfig(cfg StreamConfig) jetstream.StreamConfig {
	name := cfg.Name
	if name == "" {
		name = DefaultStreamName
	}
	maxBytes := cfg.MaxBytes
	if maxBytes <= 0 {
		maxBytes = -1
	}
	maxMsgSize := cfg.MaxMsgSize
	if maxMsgSize <= 0 {
		maxMsgSize = DefaultMaxMsgSize
	}
	duplicates := orDefault(cfg.Duplicates, DefaultDuplicates)
	if cfg.MaxAge > 0 && duplicates > cfg.MaxAge {
		// The server refuses a duplicate window longer than MaxAge.
		duplicates = cfg.MaxAge
	}
	return jetstream.StreamConfig{
		Name:        name,
		Description: "sshchat: every room line, private message and event, in one order",
		Subjects:    []string{cfg.Subjects.All()},
		Storage:     jetstream.FileStorage,
		Replicas:    max(cfg.Replicas, 1),
		Duplicates:  duplicates,
		MaxAge:      cfg.MaxAge,
		MaxBytes:    maxBytes,
		MaxMsgSize:  maxMsgSize,
		MaxMsgs:     -1,
		Retention:   jetstream.LimitsPolicy,
		// When full, drop the oldest lines rather than refuse new ones.
		Discard: jetstream.DiscardOld,
		// History is append-only: nobody deletes single lines.
		DenyDelete: true,
	}
}

// Name is the stream's name.
func (s *Stream) Name() string { return s.name }

// Subjects is the subject scheme the stream carries.
func (s *Stream) Subjects() Subjects { return s.subjects }

// StreamState is what a node needs to know about the stream right now.
type StreamState struct {
	FirstSeq, LastSeq uint64
	Msgs, Bytes       uint64
	Replicas          int
	// Leader is the server that orders the stream now ("" when unknown).
	Leader string
	// Created is when the stream was created: a stream deleted and made
	// again has the same name but another Created (and sequences anew).
	Created time.Time
}

// State asks the server for the stream's current state.
func (s *Stream) State(ctx context.Context) (StreamState, error) {
	ctx, cancel := s.conn.requestContext(ctx)
	defer cancel()
	info, err := s.stream.Info(ctx)
	if err != nil {
		return StreamState{}, s.conn.unavailable(fmt.Errorf("natsjs: stream %s info: %w", s.name, err))
	}
	st := StreamState{
		FirstSeq: info.State.FirstSeq,
		LastSeq:  info.State.LastSeq,
		Msgs:     info.State.Msgs,
		Bytes:    info.State.Bytes,
		Replicas: info.Config.Replicas,
		Created:  info.Created,
	}
	if info.Cluster != nil {
		st.Leader = info.Cluster.Leader
	}
	return st, nil
}

// requestContext bounds one request by the connection's request timeout,
// or by ctx's own deadline if that comes first. Always, even when ctx has a
// later deadline: a request written to a connection just as it broke gets
// no answer at all, and must fail (and be retried) rather than wait for a
// caller's long deadline.
func (c *Conn) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.requestTimeout)
}

// ErrStreamNotFound is returned when the stream does not exist.
var ErrStreamNotFound = jetstream.ErrStreamNotFound
