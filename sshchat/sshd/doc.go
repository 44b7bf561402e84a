// Package sshd is the SSH side of the chat server, and the only package
// that imports wish and charmbracelet/ssh.
//
// What lives here: the wish server and its options, host keys,
// authentication (a public key is an identity, a client without one is a
// guest), connection limits, the handshake deadline and the channel
// request filter, pty and window handling, one session per connected
// person (a pty session through x/term, or a plain line session) with its
// reader and writer goroutines, the watchdog that cuts off clients that
// stop reading, and the runner of `ssh host COMMAND` (exec.go; its argument
// parser is the subpackage execcmd).
//
// What does not live here: rooms, nicks, commands or storage. Each session
// becomes a chat.Member and its lines go to the chat.Hub it was given;
// the program's wiring (package sshchat) builds the hub and the store.
// Input parsing below the line level lives in termio, string cleaning in
// sanitize.
//
// Node-local on purpose: connections, sessions, connection limits and the
// watchdog belong to the node that holds the TCP connection.
package sshd
