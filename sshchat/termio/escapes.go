package termio

const (
	esc   = 0x1b
	ctrlW = 0x17 // x/term: delete the word before the cursor

	// maxHeld bounds how many bytes of an unfinished escape sequence are
	// held back waiting for the rest. Real keys are at most 8 bytes
	// (ESC[15;5~); a longer sequence is dropped up to its final byte.
	maxHeld = 16
)

// The sequences x/term understands, in the form KeyReader emits them.
const (
	keyHome     = "\x1b[H"
	keyEnd      = "\x1b[F"
	keyAltLeft  = "\x1b[1;3D" // x/term: one word left
	keyAltRight = "\x1b[1;3C" // x/term: one word right
)

// escape handles b, which starts with ESC, and returns how many bytes it
// consumed, or 0 if b is an unfinished sequence and more input may come.
// When the input has ended (final) an unfinished sequence is flushed: a lone
// ESC or a CSI prefix is forwarded (x/term discards it), anything else is
// dropped.
func (k *KeyReader) escape(b []byte, final bool) int {
	if len(b) < 2 {
		if !final {
			return 0
		}
		if !k.paste {
			k.out = append(k.out, esc)
		}
		return 1
	}
	switch b[1] {
	case '[', 'O':
		return k.sequence(b, final)
	}
	if k.paste {
		return 1 // drop the ESC; the byte after it is pasted text
	}
	// ESC before another byte is an Alt (meta) chord.
	switch c := b[1]; {
	case c == 0x7f: // Alt-Backspace
		k.out = append(k.out, ctrlW)
		return 2
	case c == 'b': // Alt-b, readline's word left
		k.out = append(k.out, keyAltLeft...)
		return 2
	case c == 'f': // Alt-f, readline's word right
		k.out = append(k.out, keyAltRight...)
		return 2
	case c >= 0x20 && c < 0x7f:
		// Other chords mean nothing to x/term, and one whose byte is not
		// a letter (Alt-1) would make it swallow the next typed letter.
		return 2
	}
	// ESC before a control byte (ESC ESC, ESC CR) or a non-ASCII rune: drop
	// the ESC and let the next byte be read on its own.
	return 1
}

// sequence finds the end of the CSI (ESC [) or SS3 (ESC O) sequence at the
// start of b, translates the complete sequence and returns its length.
// Parameter and intermediate bytes are 0x20–0x3F and the final byte is
// 0x40–0x7E; any other byte means the sequence was malformed, and it is
// dropped so that the byte can start something new. It returns 0 when the
// sequence is unfinished and more input may come.
func (k *KeyReader) sequence(b []byte, final bool) int {
	for j := 2; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '[' && j == 2 && b[1] == '[':
			// Linux console F1–F5 are ESC [ [ A..E: not a final byte here.
		case c >= 0x40 && c <= 0x7e:
			if b[1] == '[' {
				k.csi(b[:j+1])
			} else {
				k.ss3(b[:j+1])
			}
			return j + 1
		case c >= 0x20 && c <= 0x3f:
			if j+1 >= maxHeld {
				// Too long to be a key: drop it, and the rest of it
				// up to its final byte, without holding it.
				k.skipping = true
				return j + 1
			}
		default:
			return j
		}
	}
	if !final {
		return 0
	}
	if !k.paste && b[1] == '[' {
		k.out = append(k.out, b...)
	}
	return len(b)
}

// skipsMore reports whether c, met while dropping an over-long sequence, is
// still inside it (a parameter or intermediate byte).
func skipsMore(c byte) bool { return c >= 0x20 && c <= 0x3f }

// csi translates one complete CSI sequence.
func (k *KeyReader) csi(seq []byte) {
	body := seq[2:]
	if k.paste {
		// Only the end marker may leave a paste: x/term would insert any
		// other sequence into the line.
		if string(body) == "201~" {
			k.paste = false
			k.out = append(k.out, seq...)
		}
		return
	}
	switch string(body) {
	case "A", "B", "C", "D", "H", "F", "3~", "1;3C", "1;3D":
		k.out = append(k.out, seq...) // x/term knows these
	case "200~":
		k.paste = true
		k.out = append(k.out, seq...)
	case "1~", "7~": // Home: VT220/screen/tmux, rxvt
		k.out = append(k.out, keyHome...)
	case "4~", "8~": // End: VT220/screen/tmux, rxvt
		k.out = append(k.out, keyEnd...)
	default:
		k.modifiedKey(body)
	}
}

// modifiedKey translates xterm's modified cursor keys, ESC[1;<mod><key> and
// ESC[3;<mod>~ (Delete): Ctrl or Alt with Left/Right moves by word, as in
// most line editors; other modifiers are ignored. Anything else is dropped.
func (k *KeyReader) modifiedKey(body []byte) {
	if len(body) < 4 || body[1] != ';' || (body[0] != '1' && body[0] != '3') {
		return
	}
	mod := 0
	for _, c := range body[2 : len(body)-1] {
		if c < '0' || c > '9' || mod > 100 {
			return
		}
		mod = mod*10 + int(c-'0')
	}
	if mod < 2 {
		return
	}
	word := (mod-1)&(2|4) != 0 // xterm: mod-1 has Shift=1, Alt=2, Ctrl=4
	switch key := body[len(body)-1]; {
	case body[0] == '3':
		if key == '~' {
			k.out = append(k.out, "\x1b[3~"...)
		}
	case key == 'C' && word:
		k.out = append(k.out, keyAltRight...)
	case key == 'D' && word:
		k.out = append(k.out, keyAltLeft...)
	case key == 'A' || key == 'B' || key == 'C' || key == 'D' || key == 'H' || key == 'F':
		k.out = append(k.out, esc, '[', key)
	}
}

// ss3 translates one complete SS3 sequence. x/term does not know SS3: it
// would insert the final letter into the line.
func (k *KeyReader) ss3(seq []byte) {
	if k.paste {
		return
	}
	switch key := seq[len(seq)-1]; key {
	case 'A', 'B', 'C', 'D', 'H', 'F': // application-mode cursor keys
		k.out = append(k.out, esc, '[', key)
	}
	// Keypad and function keys (ESC O P, ESC O p, ...) are dropped.
}
