package chat

// This file keeps one person's answers in the order they typed: a line
// they say reaches their screen only once the store committed it, while
// the answer to a command is queued at once. Without a wait, "/who" typed
// after a message was answered before the message was shown, and two /nick
// answers could swap.

// ownLinesWait bounds how long a command waits for its sender's earlier
// lines: a store that stopped answering must not stop their commands.
const ownLinesWait = maxLeaveWait

// storeNotAnswering tells someone whose command waited ownLinesWait for
// their earlier lines why its answer comes first. Once per stuck lines:
// the commands after it do not wait for the same lines again.
const storeNotAnswering = "The server's storage is not answering: your last lines are not stored yet, and answers now come before them."

// afterOwnLines waits until the lines m said so far (and the announcements
// of their own commands) have been delivered, so that what follows is
// shown after them. It runs on m's reader, which sends nothing meanwhile,
// and starts no goroutine (see inflightLines).
func (h *Hub) afterOwnLines(m *Member) {
	if waitDelivered(&m.inflight, m.done, ownLinesWait) == waitTimedOut {
		h.notice(m, storeNotAnswering)
	}
}
