// Package sshchat is the SSH side of the chat server: the program embeds a
// Server (New, Serve, Shutdown) and people reach it with a stock SSH client.
//
// This package owns everything that knows about SSH: the wish server and its
// options, host keys, authentication (a public key is an identity, a client
// without one is a guest), connection limits and the handshake timeout, pty
// handling, and one session per connected person with its reader and writer
// goroutines and the watchdog that cuts off clients that stop reading. It
// knows nothing of rooms, nicks or commands: each session becomes a
// chat.Member and its lines go to the chat.Hub ("the host is the glue").
// Input parsing below the line level lives in termio, string cleaning in
// sanitize.
package sshchat
