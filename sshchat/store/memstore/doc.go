// Package memstore is a second, in-memory implementation of store.Store:
// nothing survives the process. It exists so that the store interfaces
// have two engines that pass the same conformance suite (storetest), and
// so that tests can run several hubs on one shared store, as several
// nodes would share a NATS or SQL backend.
//
// What lives here: history with store-assigned sequence numbers, appended
// through one writer goroutine so that callbacks come in commit order;
// private mailboxes; nick ownership; moderation; rooms; preferences; read
// markers; and the capabilities a store shared by several nodes offers:
// who is online under which nick (store.Presence) and guest numbering
// (store.GuestNumbers).
//
// What does not: full-text search (an optional capability, store.Searcher,
// that this engine does not offer), durability, and anything of the chat.
package memstore
