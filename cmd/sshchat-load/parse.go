package main

import "bytes"

// Wire format of the lines the load tool types. Every field is decimal.
//
//	#LD <sender> <seq> <sendNanos> [padding]   message-phase line
//	#PB <probe> <sendNanos>                    join-burst probe line
//	#FL <flooder> <seq> <sendNanos>            a flooder's line (--flooders)
//
// A recipient sees them rendered as "loadNNNN: #LD ..." (with colour codes
// around the nick on a pty). The marker is searched for after ": " so the
// sender's own echo of what it typed ("[loadNNNN] #LD ...") never counts.
var (
	markMsg     = []byte(": #LD ")
	markProbe   = []byte(": #PB ")
	markFlood   = []byte(": #FL ")
	markWelcome = []byte("Welcome to ")
	markMoved   = []byte("*** You are now in ")
)

// lineKind says what a received line is.
type lineKind uint8

const (
	lineOther lineKind = iota
	lineMsg
	lineProbe
	lineWelcome
	lineFlood
	lineMoved // the notice after a /join
)

// parsed is what the parser found in one line. It holds no references to
// the line, so the reader's buffer can be reused at once.
type parsed struct {
	kind   lineKind
	sender int   // lineMsg; flooder number for lineFlood
	seq    int   // lineMsg, lineFlood; probe number for lineProbe
	sentNs int64 // lineMsg, lineFlood, lineProbe
}

// stripANSI appends line to dst without CSI/OSC escape sequences, other
// ESC pairs and carriage returns. It allocates only if dst is too small,
// so a reader that reuses dst allocates nothing per line.
func stripANSI(dst, line []byte) []byte {
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == 0x1b && i+1 < len(line) && line[i+1] == '[':
			i += 2
			for i < len(line) && (line[i] < 0x40 || line[i] > 0x7e) {
				i++
			}
		case c == 0x1b && i+1 < len(line) && line[i+1] == ']':
			i += 2
			for i < len(line) && line[i] != 0x07 && !(line[i] == 0x1b && i+1 < len(line) && line[i+1] == '\\') {
				i++
			}
			if i < len(line) && line[i] == 0x1b {
				i++
			}
		case c == 0x1b:
			i++
		case c == '\r':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// parseLine classifies one line that has already been stripped of escape
// sequences.
func parseLine(text []byte) parsed {
	if i := bytes.LastIndex(text, markMsg); i >= 0 {
		return parseTriple(text[i+len(markMsg):], lineMsg)
	}
	if i := bytes.LastIndex(text, markFlood); i >= 0 {
		return parseTriple(text[i+len(markFlood):], lineFlood)
	}
	if i := bytes.LastIndex(text, markProbe); i >= 0 {
		rest := text[i+len(markProbe):]
		var p parsed
		var ok bool
		var v int64
		if v, rest, ok = parseUint(rest); !ok {
			return parsed{}
		}
		p.seq = int(v)
		if p.sentNs, _, ok = parseUint(rest); !ok {
			return parsed{}
		}
		p.kind = lineProbe
		return p
	}
	if bytes.Contains(text, markMoved) {
		return parsed{kind: lineMoved}
	}
	if bytes.Contains(text, markWelcome) && bytes.Contains(text, []byte("*** ")) {
		return parsed{kind: lineWelcome}
	}
	return parsed{}
}

// parseTriple reads "<sender> <seq> <sendNanos>" of a message or flood line.
func parseTriple(rest []byte, kind lineKind) parsed {
	var p parsed
	var ok bool
	var v int64
	if v, rest, ok = parseUint(rest); !ok {
		return parsed{}
	}
	p.sender = int(v)
	if v, rest, ok = parseUint(rest); !ok {
		return parsed{}
	}
	p.seq = int(v)
	if p.sentNs, _, ok = parseUint(rest); !ok {
		return parsed{}
	}
	p.kind = kind
	return p
}

// parseUint reads a decimal number followed by a space or the end of b.
func parseUint(b []byte) (v int64, rest []byte, ok bool) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' && i < 19 {
		v = v*10 + int64(b[i]-'0')
		i++
	}
	if i == 0 {
		return 0, b, false
	}
	if i < len(b) {
		if b[i] != ' ' && b[i] != '\n' {
			return 0, b, false
		}
		i++
	}
	return v, b[i:], true
}
