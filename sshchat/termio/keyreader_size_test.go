package termio

import (
	"testing"
	"unsafe"
)

// TestIdleKeyReaderHoldsNoReadBuffer: every connected terminal has a
// KeyReader waiting in a read, for days when its person is idle. It reads
// into the caller's buffer (x/term's), so it keeps no 256-byte array of its
// own; this fails if one comes back.
func TestIdleKeyReaderHoldsNoReadBuffer(t *testing.T) {
	if size := unsafe.Sizeof(KeyReader{}); size > 160 {
		t.Fatalf("KeyReader is %d bytes; an idle one should hold no read buffer (at most 160)", size)
	}
}
