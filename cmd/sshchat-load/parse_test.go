package main

import (
	"io"
	"testing"
)

func TestParseLine(t *testing.T) {
	cases := []struct {
		raw  string
		want parsed
	}{
		// A message as x/term writes it to a pty: prompt erased, coloured
		// nick, CRLF.
		{"\x1b[10D\x1b[K\x1b[1;38;5;64mload0002\x1b[0m: #LD 3 17 123456789 xxxx\r\n",
			parsed{kind: lineMsg, sender: 3, seq: 17, sentNs: 123456789}},
		// The previous write's redrawn prompt left on the same line.
		{"[load0001] \x1b[11D\x1b[K\x1b[1;38;5;64mload0002\x1b[0m: #LD 0 0 5 \r\n",
			parsed{kind: lineMsg, sender: 0, seq: 0, sentNs: 5}},
		// A partial line the person was typing, redrawn after a message.
		{"[load0001] #LD 1\x1b[16D\x1b[Kload0003: #LD 2 4 99\r\n",
			parsed{kind: lineMsg, sender: 2, seq: 4, sentNs: 99}},
		{"\x1b[1;38;5;64mflood001\x1b[0m: #FL 0 999 123\r\n",
			parsed{kind: lineFlood, sender: 0, seq: 999, sentNs: 123}},
		{"[flood001] #FL 0 1 2\r\n", parsed{}},
		{"\x1b[1;38;5;64mload0009\x1b[0m: #PB 4 1000\r\n", parsed{kind: lineProbe, seq: 4, sentNs: 1000}},
		{"\x1b[90m*** Welcome to #lobby, load0001! 3 online. Type /help for commands.\x1b[0m\r\n", parsed{kind: lineWelcome}},
		{"\x1b[90m*** You are now in #durable. (2 here)\x1b[0m\r\n", parsed{kind: lineMoved}},
		// The sender's own echo never counts.
		{"[load0001] #LD 1 2 3 \r\n", parsed{}},
		{"load0002: #LD x 2 3\r\n", parsed{}},
		{"\x1b[90m*** load0001 joined. (3 online)\x1b[0m\r\n", parsed{}},
	}
	buf := make([]byte, 0, 256)
	for _, c := range cases {
		buf = stripANSI(buf[:0], []byte(c.raw))
		if got := parseLine(buf); got != c.want {
			t.Errorf("parseLine(%q) = %+v, want %+v", c.raw, got, c.want)
		}
	}
}

func TestParseLineAllocs(t *testing.T) {
	line := []byte("\x1b[1;38;5;64mload0002\x1b[0m: #LD 3 17 123456789 xxxx\r\n")
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() {
		buf = stripANSI(buf[:0], line)
		_ = parseLine(buf)
	}); n != 0 {
		t.Errorf("%v allocations per line, want 0", n)
	}
}

// TestFlagsBoundTheFloorAndSourceAddresses: --baseline needs a spawned
// server and measures only the message path; --source-addrs stays on
// 127.0.0.2-127.0.0.251.
func TestFlagsBoundTheFloorAndSourceAddresses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"--spawn", "x", "--baseline"}, true},
		{[]string{"--addr", "127.0.0.1:2222", "--baseline"}, false},
		{[]string{"--spawn", "x", "--baseline", "--stuck", "1"}, false},
		{[]string{"--spawn", "x", "--baseline", "--rounds", "0"}, false},
		{[]string{"--spawn", "x", "--source-addrs", "250"}, true},
		{[]string{"--spawn", "x", "--source-addrs", "251"}, false},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if (err == nil) != tc.ok {
			t.Errorf("%q: error %v, want ok=%v", tc.args, err, tc.ok)
		}
	}
}
