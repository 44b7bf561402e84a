package natsjs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Errors of key-value operations; test with errors.Is.
var (
	// ErrExists: Create found the key already present (someone else won).
	ErrExists = jetstream.ErrKeyExists
	// ErrRevisionMismatch: the key changed since the revision the caller
	// read (compare-and-set lost).
	ErrRevisionMismatch = jetstream.ErrKeyRevisionMismatch
	// ErrNotFound: no such key, or it was deleted or expired.
	ErrNotFound = jetstream.ErrKeyNotFound
)

// BucketConfig describes one key-value bucket (nick claims, bans, presence).
type BucketConfig struct {
	// Name of the bucket: letters, digits, '-' and '_'.
	Name string
	// Replicas: 1 for a single NATS server, 3 in a cluster. Default 1.
	Replicas int
	// History is how many values per key are kept (1..64); default 1.
	History uint8
	// TTL expires every key this long after its last write (bucket-wide
	// MaxAge); 0 keeps keys until deleted.
	TTL time.Duration
	// KeyTTL enables per-key expiry (CreateTTL, RefreshTTL) and makes the
	// server write a marker when a key expires, so watchers see expiries
	// too; the marker itself is kept this long. Needs nats-server 2.11+.
	// 0 disables both.
	KeyTTL time.Duration
	// MaxValueSize refuses larger values; default 4 KiB.
	MaxValueSize int32
	// MaxBytes bounds the bucket's storage; 0 is unlimited.
	MaxBytes int64
}

// DefaultMaxValueSize bounds one value unless BucketConfig says otherwise.
const DefaultMaxValueSize = 4 << 10

// Bucket is a key-value bucket. Keys are any names up to MaxNameBytes bytes;
// the bucket encodes them (EncodeToken), so callers pass folded nicks or
// key fingerprints as they are.
type Bucket struct {
	conn *Conn
	kv   jetstream.KeyValue
	// subjectPrefix is "$KV.<bucket>." where the bucket stores key k under
	// subject prefix+k; RefreshTTL publishes there directly.
	subjectPrefix string
}

// EnsureBucket creates the bucket, or updates it to cfg if it exists; every
// node may call it at start.
func (c *Conn) EnsureBucket(ctx context.Context, cfg BucketConfig) (*Bucket, error) {
	ctx, cancel := c.requestContext(ctx)
	defer cancel()
	maxValue := cfg.MaxValueSize
	if maxValue <= 0 {
		maxValue = DefaultMaxValueSize
	}
	maxBytes := cfg.MaxBytes
	if maxBytes <= 0 {
		maxBytes = -1
	}
	kv, err := c.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:         cfg.Name,
		Replicas:       max(cfg.Replicas, 1),
		History:        max(cfg.History, 1),
		TTL:            cfg.TTL,
		LimitMarkerTTL: cfg.KeyTTL,
		MaxValueSize:   maxValue,
		MaxBytes:       maxBytes,
		Storage:        jetstream.FileStorage,
	})
	if err != nil {
		return nil, c.unavailable(fmt.Errorf("natsjs: create or update bucket %s: %w", cfg.Name, err))
	}
	return &Bucket{conn: c, kv: kv, subjectPrefix: "$KV." + cfg.Name + "."}, nil
}

// Entry is one value of a key, or its deletion or expiry.
type Entry struct {
	Key      string
	Value    []byte
	Revision uint64
	Op       Op
	Created  time.Time
}

// Op says what an Entry records.
type Op int

const (
	OpPut    Op = iota // the key has this value
	OpDelete           // the key was deleted (Delete)
	OpExpire           // the key expired (TTL) or was purged
)

func (o Op) String() string {
	switch o {
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	case OpExpire:
		return "expire"
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// Create sets key to value only if the key does not exist (or was deleted
// or expired): of many nodes racing for one nick, exactly one gets a
// revision and the others get ErrExists.
func (b *Bucket) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	return b.create(ctx, key, value)
}

// CreateTTL is Create with a per-key TTL: the key disappears ttl after this
// write unless RefreshTTL writes it again. The bucket needs KeyTTL.
func (b *Bucket) CreateTTL(ctx context.Context, key string, value []byte, ttl time.Duration) (uint64, error) {
	return b.create(ctx, key, value, jetstream.KeyTTL(ttl))
}

func (b *Bucket) create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	k, err := EncodeToken(key)
	if err != nil {
		return 0, err
	}
	ctx, cancel := b.conn.requestContext(ctx)
	defer cancel()
	rev, err := b.kv.Create(ctx, k, value, opts...)
	if err != nil {
		return 0, b.conn.unavailable(fmt.Errorf("natsjs: create %s in %s: %w", k, b.kv.Bucket(), err))
	}
	return rev, nil
}

// Update sets key to value only if its latest revision is still rev
// (compare-and-set); otherwise ErrRevisionMismatch. Beware: the new value
// has no per-key TTL even if the old one had (use RefreshTTL for that).
func (b *Bucket) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	k, err := EncodeToken(key)
	if err != nil {
		return 0, err
	}
	ctx, cancel := b.conn.requestContext(ctx)
	defer cancel()
	newRev, err := b.kv.Update(ctx, k, value, rev)
	if err != nil {
		return 0, b.conn.unavailable(fmt.Errorf("natsjs: update %s in %s at revision %d: %w", k, b.kv.Bucket(), rev, err))
	}
	return newRev, nil
}

// RefreshTTL is Update that also sets a new per-key TTL: presence is kept
// alive by refreshing it well within its TTL. The client library has no
// call for this (Update drops the TTL, Put takes none), so it publishes to
// the key's subject with the TTL and expected-revision headers, exactly as
// the library's own Create does.
func (b *Bucket) RefreshTTL(ctx context.Context, key string, value []byte, rev uint64, ttl time.Duration) (uint64, error) {
	k, err := EncodeToken(key)
	if err != nil {
		return 0, err
	}
	ctx, cancel := b.conn.requestContext(ctx)
	defer cancel()
	msg := &nats.Msg{Subject: b.subjectPrefix + k, Data: value, Header: nats.Header{}}
	pa, err := b.conn.js.PublishMsg(ctx, msg,
		jetstream.WithExpectLastSequencePerSubject(rev),
		jetstream.WithMsgTTL(ttl))
	if err != nil {
		if isWrongLastSequence(err) {
			err = fmt.Errorf("%w: %w", ErrRevisionMismatch, err)
		}
		return 0, b.conn.unavailable(fmt.Errorf("natsjs: refresh %s in %s at revision %d: %w", k, b.kv.Bucket(), rev, err))
	}
	return pa.Sequence, nil
}

func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Put sets key to value whatever it was (no compare-and-set).
func (b *Bucket) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	k, err := EncodeToken(key)
	if err != nil {
		return 0, err
	}
	ctx, cancel := b.conn.requestContext(ctx)
	defer cancel()
	rev, err := b.kv.Put(ctx, k, value)
	if err != nil {
		return 0, b.conn.unavailable(fmt.Errorf("natsjs: put %s in %s: %w", k, b.kv.Bucket(), err))
	}
	return rev, nil
}

// Get returns the key's latest value, or ErrNotFound.
func (b *Bucket) Get(ctx context.Context, key string) (Entry, error) {
	k, err := EncodeToken(key)
	if err != nil {
		return Entry{}, err
	}
	ctx, cancel := b.conn.requestContext(ctx)
	defer cancel()
	e, err := b.kv.Get(ctx, k)
	if err != nil {
		return Entry{}, b.conn.unavailable(fmt.Errorf("natsjs: get %s in %s: %w", k, b.kv.Bucket(), err))
	}
	return entryOf(e, key), nil
}

// Delete removes the key. With rev > 0 only if its latest revision is rev
// (otherwise ErrRevisionMismatch): a node releases a nick only if it still
// holds the claim it made.
func (b *Bucket) Delete(ctx context.Context, key string, rev uint64) error {
	k, err := EncodeToken(key)
	if err != nil {
		return err
	}
	ctx, cancel := b.conn.requestContext(ctx)
	defer cancel()
	var opts []jetstream.KVDeleteOpt
	if rev > 0 {
		opts = append(opts, jetstream.LastRevision(rev))
	}
	if err := b.kv.Delete(ctx, k, opts...); err != nil {
		return b.conn.unavailable(fmt.Errorf("natsjs: delete %s in %s: %w", k, b.kv.Bucket(), err))
	}
	return nil
}

func entryOf(e jetstream.KeyValueEntry, key string) Entry {
	op := OpPut
	switch e.Operation() {
	case jetstream.KeyValueDelete:
		op = OpDelete
	case jetstream.KeyValuePurge:
		op = OpExpire
	}
	return Entry{Key: key, Value: e.Value(), Revision: e.Revision(), Op: op, Created: e.Created()}
}
