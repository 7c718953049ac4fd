package registrar

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// chunkConn serves data in reads of at most chunk bytes.
type chunkConn struct {
	net.Conn
	data  []byte
	chunk int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.chunk, len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func (c *chunkConn) SetReadDeadline(time.Time) error { return nil }

// FuzzReadHead: whatever a client sends, in whatever pieces, the head
// reader ends: with the bytes up to and including a blank line, never
// more than its limit, or with an error.
func FuzzReadHead(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n"), uint8(7))
	f.Add([]byte("\r\n\r\n"), uint8(1))
	f.Add(bytes.Repeat([]byte("a"), maxUpgradeHead+10), uint8(200))
	f.Add([]byte("GET / HTTP/1.1\r\n\r"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		c := &chunkConn{data: data, chunk: int(chunk)%64 + 1}
		head, err := readHead(c)
		if err != nil {
			return
		}
		if len(head) > maxUpgradeHead || !bytes.Contains(head, []byte("\r\n\r\n")) || !bytes.HasPrefix(data, head) {
			t.Fatalf("head %q of %q", head, data)
		}
	})
}
