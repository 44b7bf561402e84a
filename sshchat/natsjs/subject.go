package natsjs

import (
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// MaxNameBytes bounds a name encoded into one subject token or key. Base32
// makes it 8/5 as long; NATS keeps subjects well under its 4 KiB control
// line, and a name longer than this is a caller's bug, not a user's input
// (chat caps room names and nicks far below it).
const MaxNameBytes = 256

// emptyToken stands for the empty name: a subject token cannot be empty.
// It cannot be produced by the encoding, whose alphabet has no '_'.
const emptyToken = "_"

// tokenEncoding is base32 "extended hex" in lower case without padding: its
// alphabet (0-9, a-v) has no '.', '*', '>', '$', space or control, so every
// name becomes exactly one subject token that is also a valid key-value key,
// and the order of encoded names follows the order of their bytes.
var tokenEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// ErrNameTooLong is returned for a name of more than MaxNameBytes bytes.
var ErrNameTooLong = fmt.Errorf("natsjs: name longer than %d bytes", MaxNameBytes)

// EncodeToken turns any name (any bytes, e.g. a folded room name or nick)
// into one subject token or key: never a wildcard, never a dot.
func EncodeToken(name string) (string, error) {
	if len(name) > MaxNameBytes {
		return "", ErrNameTooLong
	}
	if name == "" {
		return emptyToken, nil
	}
	return tokenEncoding.EncodeToString([]byte(name)), nil
}

// DecodeToken is the inverse of EncodeToken. It accepts only tokens that
// EncodeToken produces (one spelling per name), so a subject read back from
// the stream maps to exactly one name.
func DecodeToken(token string) (string, error) {
	if token == emptyToken {
		return "", nil
	}
	if token == "" {
		return "", errors.New("natsjs: empty token")
	}
	b, err := tokenEncoding.DecodeString(token)
	if err != nil {
		return "", fmt.Errorf("natsjs: decode token %q: %w", token, err)
	}
	if len(b) > MaxNameBytes || tokenEncoding.EncodeToString(b) != token {
		return "", fmt.Errorf("natsjs: token %q is not in canonical form", token)
	}
	return string(b), nil
}

// Subjects is the subject scheme of the chat stream under one prefix
// (default "chat"): every subject is <prefix>.<kind>[.<encoded name>].
type Subjects struct {
	Prefix string
}

// Subject kinds. The stream holds all of them, in one order.
const (
	KindRoom   = "room"   // lines of a room: <prefix>.room.<room>
	KindDirect = "direct" // private messages to a person: <prefix>.direct.<nick>
	KindEvent  = "event"  // everything else (joins, moderation): <prefix>.event
)

func (s Subjects) prefix() string {
	if s.Prefix == "" {
		return "chat"
	}
	return s.Prefix
}

// All is the filter that matches every subject of the scheme; the stream is
// bound to it.
func (s Subjects) All() string { return s.prefix() + ".>" }

// Room is the subject of a room's lines; name should already be folded.
func (s Subjects) Room(name string) (string, error) { return s.named(KindRoom, name) }

// Direct is the subject of private messages to one person.
func (s Subjects) Direct(name string) (string, error) { return s.named(KindDirect, name) }

// Event is the subject of events that belong to no room or person.
func (s Subjects) Event() string { return s.prefix() + "." + KindEvent }

func (s Subjects) named(kind, name string) (string, error) {
	tok, err := EncodeToken(name)
	if err != nil {
		return "", fmt.Errorf("natsjs: %s subject: %w", kind, err)
	}
	return s.prefix() + "." + kind + "." + tok, nil
}

// Parse splits a subject of this scheme into its kind and decoded name
// (empty for events).
func (s Subjects) Parse(subject string) (kind, name string, err error) {
	rest, ok := strings.CutPrefix(subject, s.prefix()+".")
	if !ok {
		return "", "", fmt.Errorf("natsjs: subject %q is not under %q", subject, s.prefix())
	}
	kind, tok, named := strings.Cut(rest, ".")
	switch {
	case kind == KindEvent && !named:
		return kind, "", nil
	case (kind == KindRoom || kind == KindDirect) && named:
		name, err := DecodeToken(tok)
		if err != nil {
			return "", "", fmt.Errorf("natsjs: subject %q: %w", subject, err)
		}
		return kind, name, nil
	}
	return "", "", fmt.Errorf("natsjs: subject %q is not of the chat scheme", subject)
}
