package sshd

import (
	"bytes"
	"io"
)

// maxWriteChunk bounds one write to the SSH channel. x/crypto keeps, for
// the life of a channel, a packet buffer as big as its largest write (up
// to the client's maximum packet, 32 KiB for OpenSSH), and the connection's
// cipher keeps another: a 30 KB catch-up replay at join left some 60 KiB
// held by every session that got one, idle or not. Writes of at most this
// many bytes keep both at about 4 KiB; chat writes are far smaller, and a
// big replay costs a few more packets once.
const maxWriteChunk = 4 << 10

// chunkWriter splits writes into pieces of at most maxWriteChunk bytes,
// at a line end where there is one, so that a "\r\n" is never split (the
// library's pty writer turns a lone "\n" into "\r\n").
type chunkWriter struct{ w io.Writer }

func (c chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := chunkLen(p)
		m, err := c.w.Write(p[:k])
		n += min(m, k)
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// chunkLen is how much of p the next write takes.
func chunkLen(p []byte) int {
	if len(p) <= maxWriteChunk {
		return len(p)
	}
	if i := bytes.LastIndexByte(p[:maxWriteChunk], '\n'); i >= 0 {
		return i + 1
	}
	if p[maxWriteChunk-1] == '\r' {
		return maxWriteChunk - 1
	}
	return maxWriteChunk
}
