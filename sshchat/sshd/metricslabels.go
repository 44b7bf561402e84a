package sshd

import "github.com/sshchat/sshchat/sshchat/metrics"

// refusalReason is the metrics label of a connection limiter's refusal.
func refusalReason(why string) string {
	switch why {
	case "the server is full":
		return "full"
	case "too many connections from your address":
		return "per_ip"
	case "too many new connections from your address":
		return "rate"
	case "too many connections are starting":
		return "startups"
	}
	return "other"
}

// sessionKind is the metrics label of a chat session.
func sessionKind(terminal bool) string {
	if terminal {
		return metrics.SessionPty
	}
	return metrics.SessionPlain
}
