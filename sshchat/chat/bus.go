package chat

import (
	"github.com/sshchat/sshchat/sshchat/store"
)

// Bus carries what one node's hub must tell every node's hub, itself
// included: the room lines the store accepted, and changes to shared state
// that hubs keep a copy of (bans, mutes, operators; room topics).
//
// Every node, a single node too, delivers a room's lines to its local
// members from what the bus delivers, never straight from its own publish:
// so one node and many behave alike. The hub publishes a room's lines in
// the order the store called back, which is the room's sequence order; a
// Bus must deliver them to each subscriber in that order per room (not
// necessarily across rooms). A networked bus (NATS) carries Line.Msg, the
// stored form, and consumes the stream in order: the stream, like the
// store, assigns the order.
type Bus interface {
	// PublishLine hands a stored line to every subscriber.
	PublishLine(l Line)
	// PublishChange tells every subscriber that shared state changed.
	PublishChange(c Change)
	// Subscribe registers a node; stop unregisters it (nothing published
	// after stop returns is delivered to it). A Subscriber's methods run
	// on the publisher's goroutine in an in-process bus: DeliverLine on
	// the store's writer, so it only queues; ApplyChange on the goroutine
	// of the command that made the change, so it may read the store.
	Subscribe(s Subscriber) (stop func())
}

// Subscriber is a node's side of the bus: a hub.
type Subscriber interface {
	DeliverLine(l Line)
	ApplyChange(c Change)
}

// Line is one stored room line on the bus.
type Line struct {
	// Msg is the line as stored, with the Seq the store gave it.
	Msg store.Message

	// Set by the publishing hub and kept by an in-process bus, so that
	// the publishing node delivers its own Event (with its accept time
	// and rendering cache) without a lookup; a networked bus leaves them
	// nil and every node builds its own Event from Msg.
	event  *Event
	origin *Hub
	room   *Room
}

// ChangeKind says which shared state changed.
type ChangeKind uint8

const (
	// ChangeModeration: bans, mutes or operators changed in the store.
	ChangeModeration ChangeKind = iota + 1
	// ChangeRoom: the metadata (topic) of Change.Room changed.
	ChangeRoom
	// ChangePrivate: Change.Private, a stored private message, is for
	// someone online on the node Change.ToNode (private_remote.go).
	ChangePrivate
	// ChangePrefs: the preferences of the key in Change.Room changed
	// (prefs_remote.go); the field is reused so that every bus carries it.
	ChangePrefs
)

// Change tells the hubs that shared state changed in the store; each
// reads it again from there.
type Change struct {
	Kind ChangeKind
	Room string // for ChangeRoom: the room's name

	// For ChangePrivate: the message as stored, and the node its
	// recipient is online on (the only node that acts on it).
	Private *store.Message
	ToNode  string

	origin *Hub // the publishing hub, which applied the change already
}

// LocalBus is the in-process Bus: it calls every subscriber in the
// publisher's goroutine, in publish order. It is the default of a hub
// configured without one, and tests share one among several hubs.
type LocalBus struct {
	subs Subscribers
}

// NewLocalBus returns an in-process bus with no subscribers.
func NewLocalBus() *LocalBus { return &LocalBus{} }

// PublishLine calls DeliverLine of every subscriber.
func (b *LocalBus) PublishLine(l Line) {
	for _, s := range b.subs.All() {
		s.DeliverLine(l)
	}
}

// PublishChange calls ApplyChange of every subscriber.
func (b *LocalBus) PublishChange(c Change) {
	for _, s := range b.subs.All() {
		s.ApplyChange(c)
	}
}

// Subscribe adds s; stop removes it.
func (b *LocalBus) Subscribe(s Subscriber) (stop func()) { return b.subs.Add(s) }
