// Package cluster joins several sshchat nodes into one chat over NATS
// JetStream (issue 11). It builds on sshchat/natsjs (the engine) and
// implements the chat's seams; a node that never configures NATS never
// reaches this package.
//
// Bus is a chat.Bus over the one chat stream. A room line the store
// accepted is published to the room's subject with the message id
// "<node>/<room>/<seq>", so a retried publish is stored once; a Change
// (bans, mutes, operators, rooms) is published to the event subject. Each
// node consumes the whole stream in order with one ordered consumer and
// hands what it reads to its hub, its own lines included: one node and
// many behave alike.
//
// Sequence numbers. The number a member sees on a room line is the room's
// sequence number that the shared store assigned when it committed the
// line (store.Message.Seq), not the stream sequence. The stream sequence
// is only the transport order: two nodes that commit lines 5 and 6 of a
// room to the shared store publish them independently, so the stream may
// carry 6 before 5. The bus therefore restores each room's order by the
// store's number before delivering: a line whose predecessor has not
// arrived yet is held back (bounded, see BusOptions) until it arrives, or
// until GapWait passes (its publisher died or NATS refused it: the line is
// in the store and history shows it, but live delivery skips it). Lines
// already delivered are dropped, so a duplicate never reaches a member.
//
// Store is that shared store for several nodes. It numbers a room's lines
// with a compare-and-set counter per room in a key-value bucket (one
// winner per number across nodes; numbers stay 1, 2, 3 per room as on one
// node, which the chat and the conformance suite rely on) and publishes
// each line itself, with the message id "<room>/<seq>", in batches of
// whatever is queued (one counter move per room and one pipelined publish
// per batch; see store_batch.go for the contract on partial failure); the Bus then
// publishes no line (BusOptions.LinesFromStore) and only delivers. The
// stream sequence is not the room's number: it only orders delivery, and
// a line is called back (accepted) once the stream acknowledged it and
// this node's read model (a local SQLite store, filled from the stream
// and keyed by the room's number, so re-applying is harmless) has it.
// The Bus of a node delivers a room line only once that read model has
// it (BusOptions.ReadModel), so /history right after a line was shown
// live has it; and a restarted node reads the stream from the mark its
// read model saved, not from the start (store_applied.go).
//
// Shared through NATS: history, nick ownership, who is online (a per-key
// TTL that this node refreshes; and each node's list of people with their
// rooms, keys and since when, for /who, /whois and the "(N here)" of join
// lines, in the roster bucket), guest numbers, operators, bans, mutes,
// rooms and topics, offline mailboxes, preferences (one value per key,
// store_prefs.go), read markers (one value per key, max-merged, shared
// behind the local store, store_markers.go) and the audit trail (a ring of
// the last 1000 entries, store_audit.go). A private message to someone
// online on another node is a chat.ChangePrivate on the event subject,
// acted on only by the node it names. The local store keeps the read
// model, a copy of the markers this node wrote and of the rooms they
// name, and whatever a node kept before it joined a cluster (a key's
// preferences are read from it until the key's first change).
package cluster
