// Package sanitize is the one place where text that came from a user
// (messages, nicks, SSH user names, client versions, topics, away text,
// environment values) is made safe to show on other people's terminals:
// Text removes control characters, escape sequences, bidi overrides and line
// separators and repairs invalid UTF-8, Truncate caps a length without
// splitting a rune, and Nick, ValidNick and FoldNick define the small visible
// character set of nicks and their case-insensitive identity. It holds no
// policy about where a string may be used or how long it may be (callers pick
// the caps), does no terminal input handling (see package termio) and no
// rendering or colouring.
package sanitize
