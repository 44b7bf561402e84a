package chat

// onlineWithKey returns a person online with key (not a bot or a one-shot
// listener), for messages to a nick their key owns while they use another.
func (h *Hub) onlineWithKey(key string) *Member {
	if key == "" {
		return nil
	}
	for _, o := range h.membersWhere(func(o *Member) bool { return o.key() == key && !o.hidden }) {
		if !o.identity.Bot {
			return o
		}
	}
	return nil
}
