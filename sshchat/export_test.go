package sshchat

import "context"

// SetSearchHook makes every search run fn once it holds a search
// connection, before its query (nil: no hook), so that tests can hold
// searches there.
func (s *Server) SetSearchHook(fn func(ctx context.Context)) { s.store.SetSearchHook(fn) }
