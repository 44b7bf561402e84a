package termio

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"
)

// LineReader splits the input of a session without a pty (a bot, a pipe,
// ssh -T) into lines. A line ends at LF, CR or CR LF; CR LF is one ending
// even when the CR and the LF arrive in different reads. Memory stays
// bounded whatever the peer sends: the reader's buffer has a fixed size and
// only the first maxLineBytes of a line are kept.
//
// A LineReader is not safe for concurrent use.
type LineReader struct {
	br   *bufio.Reader
	max  int
	line []byte // reused between calls; holds up to max+utf8.UTFMax-1 bytes
	err  error  // error to return once the pending line has been returned

	skipLF bool // the last line ended with CR: a LF right after it is part of that ending
}

// lineBufSize is the size of the LineReader's read buffer.
const lineBufSize = 4096

// NewLineReader returns a LineReader reading from r that returns lines of at
// most maxLineBytes bytes. A maxLineBytes below 1 counts as 1.
func NewLineReader(r io.Reader, maxLineBytes int) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, lineBufSize), max: max(maxLineBytes, 1)}
}

// ReadLine returns the next line without its ending, as raw bytes: the
// caller sanitizes. A line longer than maxLineBytes is returned cut to at
// most maxLineBytes at a rune boundary, with tooLong set, and the rest of it
// is discarded. A last line without an ending is returned when the input
// ends; after that ReadLine returns the reader's error (io.EOF at the end of
// the input).
func (l *LineReader) ReadLine() (line string, tooLong bool, err error) {
	if l.err != nil {
		return "", false, l.err
	}
	l.line = l.line[:0]
	started := false // anything read for this line, even an empty one
	for {
		data, err := l.fill()
		if err != nil {
			l.err = err
			if started {
				return l.result()
			}
			return "", false, err
		}
		if l.skipLF {
			l.skipLF = false
			if data[0] == '\n' {
				l.br.Discard(1)
				continue
			}
		}
		started = true
		if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
			l.keep(data[:i])
			l.skipLF = data[i] == '\r'
			l.br.Discard(i + 1)
			return l.result()
		}
		l.keep(data)
		l.br.Discard(len(data))
	}
}

// fill returns the buffered bytes, reading more if there are none.
func (l *LineReader) fill() ([]byte, error) {
	if l.br.Buffered() == 0 {
		if _, err := l.br.Peek(1); err != nil {
			return nil, err
		}
	}
	data, _ := l.br.Peek(l.br.Buffered())
	return data, nil
}

// keep appends p to the line, up to a few bytes past the limit: enough to
// see whether the rune at the limit is cut, and no more.
func (l *LineReader) keep(p []byte) {
	room := l.max + utf8.UTFMax - 1 - len(l.line)
	l.line = append(l.line, p[:min(len(p), max(room, 0))]...)
}

// result returns the line gathered so far, cut to the limit.
func (l *LineReader) result() (string, bool, error) {
	if len(l.line) <= l.max {
		return string(l.line), false, nil
	}
	return string(l.line[:runeCut(l.line, l.max)]), true, nil
}

// runeCut returns the largest n' ≤ n at which b can be cut without splitting
// a valid UTF-8 sequence that starts before n and continues past it. Invalid
// bytes are cut anywhere: the caller sanitizes them away.
func runeCut(b []byte, n int) int {
	if n >= len(b) || utf8.RuneStart(b[n]) {
		return n
	}
	for s := n - 1; s >= 0 && s > n-utf8.UTFMax; s-- {
		if utf8.RuneStart(b[s]) {
			if r, size := utf8.DecodeRune(b[s:]); r != utf8.RuneError && s+size > n {
				return s
			}
			return n
		}
	}
	return n
}
