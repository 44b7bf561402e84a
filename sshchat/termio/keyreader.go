package termio

import (
	"io"
	"unicode/utf8"
)

// readSize is the most KeyReader asks the underlying reader for at once.
// x/term reads at most 256 bytes at a time, so this is plenty. KeyReader
// reads into the caller's buffer (x/term's own), not one of its own: every
// connected terminal holds a KeyReader, and an idle one waits in that read
// for days (memory per session is what limits how many people a server
// can carry).
const readSize = 256

// space replaces a TAB inside a paste: x/term would insert the raw TAB, whose
// width depends on where the viewer's cursor happens to be.
var space = []byte{' '}

// KeyReader is an io.Reader that translates a client's key sequences into
// the ones x/term's Terminal understands and drops the ones it would misread.
//
// Outside a bracketed paste it forwards text and control keys, rewrites
// Home/End/arrow variants (ESC[1~, ESC[7~, ESC O H, ESC[4~, ESC[8~,
// ESC O F, ESC O A..D, modified arrows, Alt-b/f/Backspace) to x/term's
// spelling, and drops every other escape sequence whole: x/term would
// otherwise insert the final letter of SS3 keys into the line, or swallow the
// user's next typed letter after a sequence that does not end in a letter.
// Inside a bracketed paste, where x/term adds every byte to the line
// unchecked, it drops control bytes other than CR and LF (TAB becomes a
// space), DEL and every escape sequence except the paste-end marker.
//
// It also drops a LF that directly follows a forwarded CR (x/term reports an
// extra empty line when CR and LF arrive in different reads), and drops
// invalid UTF-8 and U+FFFD (x/term stops processing a read at either and
// delays the keys after it, Enter included, until more input arrives).
//
// Memory: at most a few bytes of an incomplete sequence are held back; once
// the text of a line (bytes that can end up in x/term's line, counted since
// the last CR or LF) reaches maxLineBytes, further text is dropped until the
// next CR or LF, while keys such as Ctrl-C, Enter and the paste markers still
// pass. A line that reaches exactly maxLineBytes may have been cut, so
// callers that refuse over-long lines should pass their limit plus one.
//
// A KeyReader is not safe for concurrent use; x/term reads from a single
// goroutine.
type KeyReader struct {
	r   io.Reader
	max int

	held   [maxHeld]byte // an incomplete sequence, completed by the next read
	nheld  int           // its length
	joined []byte        // held bytes and the read after them (made on the first split sequence, reused)
	out    []byte        // translation of the last chunk read (reused buffer)
	unread []byte        // the part of out not yet returned to the caller
	err    error         // error from r, returned once unread is drained

	paste     bool // between ESC[200~ and ESC[201~, as x/term sees it
	lineBytes int  // text bytes forwarded since the last CR or LF
	overLong  bool // the current line reached max; drop text until CR/LF
	lastCR    bool // the last byte of the previous chunk's translation was CR
	skipping  bool // inside an over-long escape sequence being dropped
}

// NewKeyReader returns a KeyReader reading from r. A maxLineBytes below 1
// counts as 1.
func NewKeyReader(r io.Reader, maxLineBytes int) *KeyReader {
	return &KeyReader{r: r, max: max(maxLineBytes, 1)}
}

// Read implements io.Reader. It returns an error from the underlying reader
// only after everything read before it has been returned, and never returns
// 0, nil for a non-empty p: if a whole chunk was dropped it reads again.
func (k *KeyReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(k.unread) == 0 {
		if k.err != nil {
			return 0, k.err
		}
		// Read into p: it is translated into out before out is copied
		// back into it.
		n, err := k.r.Read(p[:min(len(p), readSize)])
		data := p[:n]
		if k.nheld > 0 {
			k.joined = append(append(k.joined[:0], k.held[:k.nheld]...), data...)
			data = k.joined
		}
		k.out = k.out[:0]
		done := k.translate(data, err != nil)
		k.nheld = copy(k.held[:], data[done:])
		if len(k.out) > 0 {
			k.lastCR = k.out[len(k.out)-1] == '\r'
		}
		k.unread = k.out
		if err != nil {
			k.err = err
		}
	}
	n := copy(p, k.unread)
	k.unread = k.unread[n:]
	return n, nil
}

// translate appends the translation of b to k.out and returns how many bytes
// of b it consumed; the rest is an incomplete sequence (at most maxHeld
// bytes) to be completed by the next read. At the end of the input (final)
// it consumes everything.
func (k *KeyReader) translate(b []byte, final bool) int {
	i := 0
	for i < len(b) {
		c := b[i]
		if k.skipping {
			k.skipping = skipsMore(c)
			if c >= 0x20 && c <= 0x7e {
				i++
			} // else the sequence was malformed: c starts something new
			continue
		}
		switch {
		case c == '\r':
			k.endLine(c)
			i++
		case c == '\n':
			// After a forwarded CR this LF is the second half of CR LF
			// (keys dropped in between do not count).
			if !k.forwardedCR() {
				k.endLine(c)
			}
			i++
		case c == esc:
			n := k.escape(b[i:], final)
			if n == 0 {
				return i
			}
			i += n
		case c < 0x20 || c == 0x7f:
			// Outside a paste these are x/term's editing keys (Ctrl-A,
			// Ctrl-C, Backspace, ...) and never enter the line, so they are
			// not counted. Inside a paste x/term would insert them.
			if !k.paste {
				k.out = append(k.out, c)
			} else if c == '\t' {
				k.text(space)
			}
			i++
		case c < utf8.RuneSelf:
			k.text(b[i : i+1])
			i++
		default:
			if !final && !utf8.FullRune(b[i:]) {
				return i
			}
			r, size := utf8.DecodeRune(b[i:])
			if r != utf8.RuneError {
				k.text(b[i : i+size])
			}
			i += size
		}
	}
	return i
}

// forwardedCR reports whether the last byte forwarded was CR.
func (k *KeyReader) forwardedCR() bool {
	if len(k.out) > 0 {
		return k.out[len(k.out)-1] == '\r'
	}
	return k.lastCR
}

// endLine forwards a line ending and resets the line budget.
func (k *KeyReader) endLine(c byte) {
	k.out = append(k.out, c)
	k.lineBytes = 0
	k.overLong = false
}

// text forwards bytes that x/term may add to the line, unless the line has
// reached its budget. Once one piece does not fit, the rest of the line is
// dropped too, so that a line is cut at one place and not riddled with holes.
func (k *KeyReader) text(t []byte) {
	if k.overLong || k.lineBytes+len(t) > k.max {
		k.overLong = true
		return
	}
	k.out = append(k.out, t...)
	k.lineBytes += len(t)
}
