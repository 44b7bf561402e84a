package chat

import (
	"hash/fnv"
	"strconv"
)

// Style is a way of turning an Event into bytes for a screen.
type Style uint8

const (
	// StylePlain is for scripts and bots: "nick: text\n", no escape
	// sequences.
	StylePlain Style = iota
	// StyleANSI is for people at a terminal: the same lines with colour.
	StyleANSI
	numStyles
)

// Bytes returns the event rendered in style s, ending in "\n". The result is
// shared between recipients and must not be modified.
func (e *Event) Bytes(s Style) []byte {
	if p := e.rendered[s].Load(); p != nil {
		return *p
	}
	b := e.render(s)
	// Two writers may render the same event at once; both results are
	// identical, so whichever is stored first wins and nothing is lost.
	e.rendered[s].CompareAndSwap(nil, &b)
	return *e.rendered[s].Load()
}

// Line prefixes. A user's line always starts with their nick, and nicks
// cannot contain '*', '-', '>' at the start or spaces, so no user text can
// be made to look like a server line ("*** ") or a private message. What
// users write is shown through Unforgeable, and terminals get their rows
// wrapped by the server (forgery.go), so no row in the middle of someone's
// text can pass for a line of its own either.
const (
	announcePrefix = "*** "
	emotePrefix    = "* "
)

const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[90m"
	ansiBold   = "\x1b[1m"
	ansiItalic = "\x1b[3m"
	ansiPM     = "\x1b[33m"
)

func (e *Event) render(s Style) []byte {
	colour := s == StyleANSI
	b := make([]byte, 0, len(e.Text)+len(e.From)+len(e.To)+48)
	if e.Replay {
		// History is dim and carries its time, so it cannot be taken
		// for what is being said now.
		if colour {
			b = append(b, ansiDim...)
		}
		b = append(b, '[')
		b = e.Time.In(e.replayZone()).AppendFormat(b, "2006-01-02 15:04")
		b = append(b, "] "...)
		colour = false
	}
	switch e.Kind {
	case KindMessage:
		b = appendNick(b, e.From, e.FromKey, colour)
		b = append(b, ": "...)
		b = append(b, Unforgeable(e.Text)...)
	case KindEmote:
		if colour {
			b = append(b, ansiItalic...)
		}
		b = append(b, emotePrefix...)
		b = append(b, e.From...)
		b = append(b, ' ')
		b = append(b, Unforgeable(e.Text)...)
		if colour {
			b = append(b, ansiReset...)
		}
	case KindAnnounce, KindNotice:
		if colour {
			b = append(b, ansiDim...)
		}
		b = append(b, announcePrefix...)
		b = append(b, e.Text...)
		if colour {
			b = append(b, ansiReset...)
		}
	case KindPrivate:
		// irssi's form: *alice* text
		if colour {
			b = append(b, ansiPM...)
		}
		b = append(b, '*')
		b = append(b, e.From...)
		b = append(b, "* "...)
		b = append(b, Unforgeable(e.Text)...)
		if colour {
			b = append(b, ansiReset...)
		}
	case KindPrivateEcho:
		if colour {
			b = append(b, ansiPM...)
		}
		b = append(b, "-> *"...)
		b = append(b, e.To...)
		b = append(b, "* "...)
		b = append(b, Unforgeable(e.Text)...)
		if colour {
			b = append(b, ansiReset...)
		}
	}
	if e.Replay && s == StyleANSI {
		b = append(b, ansiReset...)
	}
	return append(b, '\n')
}

// nickColours are 256-colour indexes readable on dark and light
// backgrounds (mid-saturation, mid-brightness).
var nickColours = [...]int{31, 32, 33, 35, 36, 37, 38, 62, 63, 64, 67, 68, 69, 71, 72, 73, 97, 98, 99, 104, 106, 107, 130, 131, 132, 133, 134, 136, 137, 139, 166, 167, 168, 169, 170, 172, 173, 174, 175}

// appendNick writes nick in its colour, which comes from the person's key
// (so it stays theirs when they change nick) or, for guests, the nick.
func appendNick(b []byte, nick, key string, colour bool) []byte {
	if !colour {
		return append(b, nick...)
	}
	h := fnv.New32a()
	if key != "" {
		h.Write([]byte(key))
	} else {
		h.Write([]byte(nick))
	}
	b = append(b, "\x1b[1;38;5;"...)
	b = strconv.AppendInt(b, int64(nickColours[h.Sum32()%uint32(len(nickColours))]), 10)
	b = append(b, 'm')
	b = append(b, nick...)
	return append(b, ansiReset...)
}
