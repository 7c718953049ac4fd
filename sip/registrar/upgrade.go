package registrar

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// sipgo upgrades each WebSocket connection inside its accept loop, and
// for WSS the TLS handshake happens there too, on the first read: one
// client that connects and says nothing would hold every other browser
// back. An upgradeListener does the TLS handshake and reads the HTTP
// upgrade request of each connection in a goroutine of its own, within
// upgradeTimeout, and hands on only connections whose request is in;
// sipgo then reads it from memory.
const (
	upgradeTimeout = 10 * time.Second
	maxUpgradeHead = 16 << 10 // bytes of an upgrade request
	maxUpgrading   = 256      // connections in their handshake at once
)

var errUpgradeHead = errors.New("websocket upgrade request too large")

type upgradeListener struct {
	net.Listener
	conf  *tls.Config // nil: plain WebSocket
	ready chan net.Conn
	slots chan struct{}

	done chan struct{}
	once sync.Once
	err  error // why Accept fails, set before done is closed
}

func newUpgradeListener(ln net.Listener, conf *tls.Config) *upgradeListener {
	l := &upgradeListener{Listener: ln, conf: conf, ready: make(chan net.Conn),
		slots: make(chan struct{}, maxUpgrading), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

// Accept returns the next connection whose upgrade request has arrived.
func (l *upgradeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, l.err
	}
}

// Close closes the listener; connections still in their handshake are
// closed.
func (l *upgradeListener) Close() error {
	l.stop(net.ErrClosed)
	return l.Listener.Close()
}

func (l *upgradeListener) stop(err error) {
	l.once.Do(func() {
		l.err = err
		close(l.done)
	})
}

func (l *upgradeListener) acceptLoop() {
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return
		}
		c, err := l.Listener.Accept()
		if err != nil {
			l.stop(err) // a closed listener's error wraps net.ErrClosed
			return
		}
		go func() {
			defer func() { <-l.slots }()
			l.prepare(c)
		}()
	}
}

// prepare shakes hands and reads the upgrade request of c, then hands it
// to Accept.
func (l *upgradeListener) prepare(c net.Conn) {
	// A network deadline, so the wall clock and not the registrar's.
	c.SetDeadline(time.Now().Add(upgradeTimeout))
	conn := c
	if l.conf != nil {
		tc := tls.Server(c, l.conf)
		if err := tc.Handshake(); err != nil {
			c.Close()
			return
		}
		conn = tc
	}
	head, err := readHead(conn)
	if err != nil {
		conn.Close()
		return
	}
	conn.SetDeadline(time.Time{})
	select {
	case l.ready <- &prereadConn{Conn: conn, buf: head}:
	case <-l.done:
		conn.Close()
	}
}

// readHead reads c up to the end of an HTTP request head.
func readHead(c net.Conn) ([]byte, error) {
	buf := make([]byte, maxUpgradeHead)
	n := 0
	for {
		m, err := c.Read(buf[n:])
		n += m
		if bytes.Contains(buf[max(0, n-m-3):n], []byte("\r\n\r\n")) {
			return buf[:n], nil
		}
		if err != nil {
			return nil, err
		}
		if n == len(buf) {
			return nil, errUpgradeHead
		}
	}
}

// prereadConn is a connection whose first bytes were already read.
type prereadConn struct {
	net.Conn
	buf []byte
}

func (c *prereadConn) Read(p []byte) (int, error) {
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
