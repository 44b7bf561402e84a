package termio

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readKeys returns everything a KeyReader makes of in, reading in one go.
func readKeys(t *testing.T, in string, max int) string {
	t.Helper()
	out, err := io.ReadAll(NewKeyReader(strings.NewReader(in), max))
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	return string(out)
}

// readKeysByByte is readKeys with one byte per Read on both sides, so that
// every sequence arrives split.
func readKeysByByte(t *testing.T, in string, max int) string {
	t.Helper()
	kr := NewKeyReader(iotest.OneByteReader(strings.NewReader(in)), max)
	out, err := io.ReadAll(iotest.OneByteReader(kr))
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	return string(out)
}

func TestKeyReaderTranslations(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text", "hello wörld 你好", "hello wörld 你好"},
		{"enter", "hi\r", "hi\r"},
		{"known keys pass", "\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F\x1b[3~\x1b[1;3C\x1b[1;3D", "\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F\x1b[3~\x1b[1;3C\x1b[1;3D"},
		{"home vt220", "\x1b[1~", "\x1b[H"},
		{"home rxvt", "\x1b[7~", "\x1b[H"},
		{"home ss3", "\x1bOH", "\x1b[H"},
		{"end vt220", "\x1b[4~", "\x1b[F"},
		{"end rxvt", "\x1b[8~", "\x1b[F"},
		{"end ss3", "\x1bOF", "\x1b[F"},
		{"ss3 arrows", "\x1bOA\x1bOB\x1bOC\x1bOD", "\x1b[A\x1b[B\x1b[C\x1b[D"},
		{"ss3 keypad swallowed", "a\x1bOPb\x1bOpc\x1bOMd", "abcd"},
		{"ss3 with modifier", "\x1bO5D", "\x1b[D"},
		{"ctrl arrows move by word", "\x1b[1;5C\x1b[1;5D", "\x1b[1;3C\x1b[1;3D"},
		{"shift arrow is plain arrow", "\x1b[1;2D\x1b[1;2H", "\x1b[D\x1b[H"},
		{"ctrl delete", "\x1b[3;5~", "\x1b[3~"},
		{"alt b f backspace", "\x1bb\x1bf\x1b\x7f", "\x1b[1;3D\x1b[1;3C\x17"},
		{"other alt chord dropped whole", "\x1b1x", "x"},
		{"unknown csi dropped", "a\x1b[15~b\x1b[2;5~c", "abc"},
		{"non-letter final dropped", "a\x1b[7^b\x1b[2@c", "abc"},
		{"linux console F1", "a\x1b[[Ab", "ab"},
		{"stray paste end dropped", "a\x1b[201~b", "ab"},
		{"esc esc", "\x1b\x1b[A", "\x1b[A"},
		{"esc before cr", "a\x1b\r", "a\r"},
		{"malformed csi dropped", "\x1b[1\rx", "\rx"},
		{"malformed ss3 keeps next esc", "\x1bO\x1b[C", "\x1b[C"},
		{"controls pass outside paste", "\x01\x03\x05\x08\x0b\x17\x7f\t", "\x01\x03\x05\x08\x0b\x17\x7f\t"},
		{"crlf collapses", "a\r\nb\n\nc\r\r", "a\rb\n\nc\r\r"},
		{"invalid utf8 dropped", "a\xffb\xc3(c", "ab(c"},
		{"replacement char dropped", "a\uFFFDb", "ab"},
		{"lone esc flushed at eof", "a\x1b", "a\x1b"},
		{"partial csi flushed at eof", "a\x1b[1", "a\x1b[1"},
		{"partial ss3 dropped at eof", "a\x1bO", "a"},
		{"partial rune dropped at eof", "a\xe4\xbd", "a"},
		{"over-long csi skipped", "a\x1b[" + strings.Repeat("1", 40) + "~b", "ab"},
		{"over-long csi aborted by control", "a\x1b[" + strings.Repeat("1", 40) + "\rb", "a\rb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readKeys(t, tt.in, 1000); got != tt.want {
				t.Errorf("whole: %q -> %q, want %q", tt.in, got, tt.want)
			}
			if got := readKeysByByte(t, tt.in, 1000); got != tt.want {
				t.Errorf("byte by byte: %q -> %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKeyReaderPaste(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"markers pass", "\x1b[200~hi\x1b[201~", "\x1b[200~hi\x1b[201~"},
		{"lines pass", "\x1b[200~a\rb\nc\r\nd\x1b[201~", "\x1b[200~a\rb\nc\rd\x1b[201~"},
		{"controls dropped", "\x1b[200~a\x03b\x04c\x00d\x7fe\x1bf\x1b[201~", "\x1b[200~abcdef\x1b[201~"},
		{"tab becomes space", "\x1b[200~a\tb\x1b[201~", "\x1b[200~a b\x1b[201~"},
		// CSI, SS3 and a nested start marker go whole; an OSC loses its ESC
		// and BEL, and the rest of it is pasted text for the chat to sanitize.
		{"escape sequences dropped", "\x1b[200~a\x1b[2Jb\x1b]0;x\x07c\x1bOAd\x1b[200~e\x1b[201~", "\x1b[200~ab]0;xcde\x1b[201~"},
		{"keys translated again after paste", "\x1b[200~x\x1b[201~\x1b[1~\x03", "\x1b[200~x\x1b[201~\x1b[H\x03"},
		{"unfinished paste at eof", "\x1b[200~a\x1b[20", "\x1b[200~a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readKeys(t, tt.in, 1000); got != tt.want {
				t.Errorf("whole: %q -> %q, want %q", tt.in, got, tt.want)
			}
			if got := readKeysByByte(t, tt.in, 1000); got != tt.want {
				t.Errorf("byte by byte: %q -> %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKeyReaderLineCap(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"under", "abc\r", 3, "abc\r"},
		{"over, next line fresh", "abcdef\rxyz\r", 3, "abc\rxyz\r"},
		{"keys still pass when over", "abcdef\x1b[1~\x03\r", 3, "abc\x1b[H\x03\r"},
		{"rune not split", "aé\r", 2, "a\r"},
		{"cut is final for the line", "abé" + "c\r", 3, "ab\r"},
		{"lf resets too", "abcd\nabcd\n", 2, "ab\nab\n"},
		{"paste capped, markers kept", "\x1b[200~" + strings.Repeat("x", 50) + "\x1b[201~\r", 10, "\x1b[200~" + strings.Repeat("x", 10) + "\x1b[201~\r"},
		{"paste newline resets", "\x1b[200~aaaa\nbbbb\x1b[201~", 2, "\x1b[200~aa\nbb\x1b[201~"},
		{"tab counted in paste", "\x1b[200~\t\tx\x1b[201~", 2, "\x1b[200~  \x1b[201~"},
		{"zero counts as one", "ab\r", 0, "a\r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readKeys(t, tt.in, tt.max); got != tt.want {
				t.Errorf("whole: %q -> %q, want %q", tt.in, got, tt.want)
			}
			if got := readKeysByByte(t, tt.in, tt.max); got != tt.want {
				t.Errorf("byte by byte: %q -> %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// chunkReader returns its chunks one per Read, then its error.
type chunkReader struct {
	chunks []string
	err    error
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, c.err
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if c.chunks[0] == "" {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

// A sequence split at an awkward place translates the same, and a held lone
// ESC is not returned before the rest arrives.
func TestKeyReaderSplitSequence(t *testing.T) {
	kr := NewKeyReader(&chunkReader{chunks: []string{"ab\x1b", "O", "Dc\r"}, err: io.EOF}, 100)
	buf := make([]byte, 64)
	n, err := kr.Read(buf)
	if err != nil || string(buf[:n]) != "ab" {
		t.Fatalf("first Read = %q, %v; want \"ab\", nil", buf[:n], err)
	}
	n, err = kr.Read(buf)
	if err != nil || string(buf[:n]) != "\x1b[Dc\r" {
		t.Fatalf("second Read = %q, %v; want ESC[D c CR, nil", buf[:n], err)
	}
}

// Chunks that translate to nothing are read past: Read does not return 0, nil.
func TestKeyReaderSkipsEmptyChunks(t *testing.T) {
	kr := NewKeyReader(&chunkReader{chunks: []string{"\x1bOP", "\xff", "\x1b[15~", "x"}, err: io.EOF}, 100)
	buf := make([]byte, 64)
	n, err := kr.Read(buf)
	if n != 1 || err != nil || buf[0] != 'x' {
		t.Fatalf("Read = %q, %v; want \"x\", nil", buf[:n], err)
	}
	if n, err = kr.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read at end = %d, %v; want 0, EOF", n, err)
	}
}

// An error that comes with data is returned after the data, and the held
// bytes are flushed.
func TestKeyReaderErrorAfterData(t *testing.T) {
	boom := errors.New("boom")
	kr := NewKeyReader(io.MultiReader(strings.NewReader("hi\x1b"), iotest.ErrReader(boom)), 100)
	out, err := io.ReadAll(kr)
	if !errors.Is(err, boom) || string(out) != "hi\x1b" {
		t.Fatalf("ReadAll = %q, %v; want \"hi\\x1b\", boom", out, err)
	}
	if n, err := kr.Read(make([]byte, 8)); n != 0 || !errors.Is(err, boom) {
		t.Fatalf("Read after error = %d, %v", n, err)
	}
}

// Large input goes through in readSize pieces with sequences straddling the
// piece boundaries.
func TestKeyReaderLargeInput(t *testing.T) {
	var in, want bytes.Buffer
	for i := 0; in.Len() < 3*readSize; i++ {
		in.WriteString("word\x1bOD\x1b[7~\r\n")
		want.WriteString("word\x1b[D\x1b[H\r")
	}
	if got := readKeys(t, in.String(), 100); got != want.String() {
		t.Fatalf("large input translated differently (%d vs %d bytes)", len(got), want.Len())
	}
}
