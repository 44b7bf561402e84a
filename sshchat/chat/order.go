package chat

// This file keeps one person's answers in the order they typed: a line
// they say reaches their screen only once the store committed it, while
// the answer to a command is queued at once. Without a wait, "/who" typed
// after a message was answered before the message was shown, and two /nick
// answers could swap.

// ownLinesWait bounds how long a command waits for its sender's earlier
// lines: a store that stopped answering must not stop their commands.
const ownLinesWait = maxLeaveWait

// afterOwnLines waits until the lines m said so far (and the announcements
// of their own commands) have been delivered, so that what follows is
// shown after them. It runs on m's reader, which sends nothing meanwhile.
func (h *Hub) afterOwnLines(m *Member) {
	waitDelivered(&m.inflight, m.done, ownLinesWait)
}
