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
// Concurrency: the hub's mutex guards the nick and room registries; a
// room's seqMu orders publishing (sequence number, then the store's FIFO
// append) and its mu guards its members and recent lines; the store calls
// back, in order, once a line is durable, and delivery is a non-blocking
// push under the room's mu. Nothing under a lock does I/O other than
// queueing to the store; a member whose outbox overflows is disconnected
// without taking any lock, and its session leaves the hub.
package chat
