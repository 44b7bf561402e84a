package chat

import "fmt"

// pacedNotice tells someone whose paste outruns the pace that the rest of
// it is queued, not lost, and how fast it goes out. Their reader delays
// the lines, so it cannot count those still unread in the connection.
func pacedNotice(rate float64) string {
	return fmt.Sprintf("Your lines are queued and sent at %g a second; nothing is lost.", rate)
}
