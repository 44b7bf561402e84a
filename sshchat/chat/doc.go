// Package chat is the chat domain: the hub that registers members, the
// rooms they talk in, the commands they type, moderation (operators, bans,
// mutes, the audit trail), pacing, history and private messages, each
// member's view (theme, timestamps, mentions, ignores) and the bounded
// outbox through which every line reaches a member. It knows nothing of
// SSH, terminals or sockets: a session adapter hands it lines of text
// (Hub.Handle) and drains each member's Outbox in that member's own
// goroutine. Durable state is reached only through the store interfaces;
// with no store, nothing is kept (tests and benchmarks).
//
// # Locks
//
// Locks are taken in increasing tier order only: code holding a lock of one
// tier takes only locks of a higher tier, never of the same or a lower one.
//
//	tier 1  announcer.mu   a room's pending join/leave announcements
//	tier 2  Room.seqMu     a room's backlog of lines waiting for the
//	                       store, and whether it left memory
//	tier 3  Hub.mu         nick, reservation, watcher and room registries,
//	                       the rooms' hold counts
//	tier 4  Room.mu        a room's members, recent lines and topic
//	tier 5  Outbox.mu      one member's queue of lines to show
//	leaf    Subscribers.mu subscribing and unsubscribing, for every bus
//	                       (publishing takes no lock)
//	leaf    moderation.mu  operators, bans, mutes, the allowlist (taken
//	                       under no other lock, and takes none); likewise
//	                       the pacing and hourly-limit tables
//
// No lock is ever held across a store call, a log write, a network write or
// anything else that can block. A line reaches the store in two steps:
// under Room.seqMu it is stamped with the time and queued on the room's
// backlog (bounded: maxBacklog); the room's pump goroutine, holding no
// lock, hands the backlog to the store in order. The store gives the line
// the room's next sequence number and, once it is durable, calls back in
// that order; the hub publishes it on the Bus, and what the bus delivers
// is pushed to every local member's outbox under Room.mu (a non-blocking
// push). A line the store refuses is delivered to nobody; its sender is
// told.
//
// # Shared and node-local state
//
// Several nodes may share one chat: their hubs share a store and a Bus
// (bus.go). Shared, and so reached only through the store and the bus:
// history and each room's sequence numbers, nick ownership, rooms, their
// number and topics, bans, mutes and operators (each change is published
// so that every hub reads it again and enforces it), preferences, kept
// private messages; and, where the store offers them (store.Presence,
// store.GuestNumbers; a store of one node need not), who is online under
// which nick and guest numbering (presence.go, guests.go). Node-local on
// purpose: sessions and members, outboxes, guest mutes, pacing and the
// hourly limits, the history budget, the loaded rooms' recent lines, the
// allowlist and the admins file (each node reads its own files).
//
// Who may wait on the store: a member's own reader, which hands its room's
// backlog to the store itself when no pump is running (no goroutine hop on
// the hot path; nothing waits for a reader, so a store that never answers
// strands only that reader), and session handlers (a join announcement, a
// one-shot post), which wait at most maxPublishWait. The watchdog,
// shutdown, kicks, leaves and timers only queue, so a store that stops
// answering cannot stop them. A member whose outbox overflows is disconnected without taking any
// lock, and its session leaves the hub.
package chat
