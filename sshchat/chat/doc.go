// Package chat is the chat domain: the hub that registers members, the room
// they talk in, the commands they type, and the bounded outbox through which
// every line reaches a member. It knows nothing of SSH, terminals or sockets:
// a session adapter hands it lines of text (Hub.Handle) and drains each
// member's Outbox in that member's own goroutine. Everything here is
// testable without a network.
//
// Concurrency: the hub's mutex guards the nick registry, a room's mutex guards
// its member set and sequence counter. Lock order is hub, then room. Nothing
// under either lock does I/O: delivery is a non-blocking push onto an outbox,
// and a member whose outbox overflows is disconnected after the lock is
// released.
package chat
