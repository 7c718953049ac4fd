package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// client is one supervisor's stream. It is a plain WebSocket client
// (RFC 6455) that reads each frame straight from a large buffer and
// takes only the message's type, seq and event time from it (every
// 64th message is also decoded whole, and must agree), so that 500 of
// them on the server's own two cores leave the CPU to the server: a
// browser on its own machine decodes every message, at its own cost.
//
// It keeps each event's sequence number and how long after its journal
// timestamp its frame was whole in the client's buffer, and counts the
// events it did not get in order (gaps) and the fresh snapshots.
type client struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error

	mu        sync.Mutex
	seen      []arrival
	last      int64 // seq of the last event or snapshot
	snapshots int
	gaps      int // events missing before one that came
}

type arrival struct {
	seq int64
	lat time.Duration
}

func (c *client) run(ctx context.Context, addr, token string, ready *sync.WaitGroup) {
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	defer close(c.done)
	once := sync.OnceFunc(ready.Done)
	defer once()
	conn, br, err := dialStream(ctx, addr, token)
	if err != nil {
		c.err = err
		return
	}
	defer conn.Close()
	context.AfterFunc(ctx, func() { conn.Close() })
	var buf []byte
	for n := 0; ; n++ {
		op, payload, err := readFrame(br, &buf)
		if err != nil {
			if ctx.Err() == nil {
				c.err = err
			}
			return
		}
		now := time.Now()
		switch op {
		case opText:
			if err := c.message(payload, now, n%1024 == 0); err != nil {
				c.err = err
				return
			}
			if c.snapshotsSeen() > 0 {
				once()
			}
		case opPing:
			if _, err := conn.Write(clientFrame(opPong, payload)); err != nil {
				c.err = err
				return
			}
		case opClose:
			return
		}
	}
}

func (c *client) snapshotsSeen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshots
}

// message takes in one text message that arrived at now; check decodes
// it whole too.
func (c *client) message(p []byte, now time.Time, check bool) error {
	typ, seq, at, err := scan(p)
	if err != nil || check {
		var m struct {
			Type  string
			Seq   int64
			Event *struct{ At time.Time }
		}
		if jerr := json.Unmarshal(p, &m); jerr != nil {
			return fmt.Errorf("%w: %.200s", jerr, p)
		}
		if err != nil {
			return fmt.Errorf("%w: %.200s", err, p)
		}
		if m.Type != typ || m.Seq != seq || (typ == "event" && (m.Event == nil || !m.Event.At.Equal(at))) {
			return fmt.Errorf("scanned %s %d %v from a message that decodes as %+v: %.200s", typ, seq, at, m, p)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch typ {
	case "snapshot":
		c.snapshots++
		c.last = seq
	case "event":
		if c.last != 0 && seq != c.last+1 {
			c.gaps += int(seq - c.last - 1)
		}
		c.last = seq
		c.seen = append(c.seen, arrival{seq, now.Sub(at)})
	}
	return nil
}

var (
	typePrefix = []byte(`{"type":"`)
	seqKey     = []byte(`","seq":`)
	eventKey   = []byte(`"event":`)
	atKey      = []byte(`"at":"`)
)

// scan takes a message's type, seq and, for an event, the event's time
// from the message as the server encodes it: "type" then "seq" first,
// "event" last with "at" its third key. A quote within a JSON string is
// escaped, so `"event":{` only ever starts a key and its object.
func scan(p []byte) (typ string, seq int64, at time.Time, err error) {
	rest, ok := bytes.CutPrefix(p, typePrefix)
	i := bytes.Index(rest, seqKey)
	if !ok || i < 0 {
		return "", 0, at, errors.New("no type and seq at the start")
	}
	typ, rest = string(rest[:i]), rest[i+len(seqKey):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	if seq, err = strconv.ParseInt(string(rest[:j]), 10, 64); err != nil {
		return "", 0, at, err
	}
	if typ != "event" {
		return typ, seq, at, nil
	}
	k := eventAt(p)
	if k < 0 {
		return "", 0, at, errors.New("an event message without its event")
	}
	ev := p[k:]
	a := bytes.Index(ev, atKey)
	if a < 0 {
		return "", 0, at, errors.New("an event without its time")
	}
	ev = ev[a+len(atKey):]
	end := bytes.IndexByte(ev, '"')
	if end < 0 {
		return "", 0, at, errors.New("an event's time without its end")
	}
	at, err = time.Parse(time.RFC3339Nano, string(ev[:end]))
	return typ, seq, at, err
}

// eventAt is where the event's object starts in an event message, or
// -1: found in the message's last 1 KiB, where an event's object mostly
// is whole, else looked for back from the end.
func eventAt(p []byte) int {
	tail := max(0, len(p)-1024)
	if i := bytes.Index(p[tail:], eventKey); i >= 0 && bytes.HasPrefix(p[tail+i+len(eventKey):], []byte("{")) {
		return tail + i + len(eventKey)
	}
	return lastObject(p, eventKey)
}

// lastObject is where the last object that is the value of key (the
// key with its quotes and colon) starts in p, or -1; it looks back from
// the end, brace by brace.
func lastObject(p, key []byte) int {
	for i := len(p); ; {
		if i = bytes.LastIndexByte(p[:i], '{'); i < 0 || bytes.HasSuffix(p[:i], key) {
			return i
		}
	}
}

func (c *client) stop() {
	c.cancel()
	<-c.done
}

// WebSocket opcodes (RFC 6455, section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// dialStream opens the stream with the token: the opening handshake,
// then a reader of 256 KiB over the connection.
func dialStream(ctx context.Context, addr, token string) (net.Conn, *bufio.Reader, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/v1/stream", nil)
	req.Header = http.Header{
		"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-WebSocket-Version": {"13"},
		"Sec-WebSocket-Key": {key}, "Authorization": {"Bearer " + token},
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, 256<<10)
	res, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	res.Body.Close()
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		conn.Close()
		return nil, nil, fmt.Errorf("stream handshake: %s", res.Status)
	}
	conn.SetDeadline(time.Time{})
	return conn, br, nil
}

// readFrame reads the next whole message: its opcode and payload. The
// payload is valid until the next call; buf holds one longer than br's
// buffer or sent in several frames.
func readFrame(br *bufio.Reader, buf *[]byte) (op byte, payload []byte, err error) {
	*buf = (*buf)[:0]
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return 0, nil, err
		}
		fin, opcode := h[0]&0x80 != 0, h[0]&0x0f
		if h[1]&0x80 != 0 {
			return 0, nil, errors.New("a masked frame from the server")
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			if _, err := io.ReadFull(br, l[:]); err != nil {
				return 0, nil, err
			}
			n = uint64(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			if _, err := io.ReadFull(br, l[:]); err != nil {
				return 0, nil, err
			}
			n = binary.BigEndian.Uint64(l[:])
		}
		if n > 64<<20 {
			return 0, nil, fmt.Errorf("a frame of %d bytes", n)
		}
		if opcode != opContinuation {
			op = opcode
		}
		if fin && len(*buf) == 0 && int(n) <= br.Size() {
			p, err := br.Peek(int(n))
			if err != nil {
				return 0, nil, err
			}
			br.Discard(int(n))
			return op, p, nil
		}
		start := len(*buf)
		*buf = append(*buf, make([]byte, n)...)
		if _, err := io.ReadFull(br, (*buf)[start:]); err != nil {
			return 0, nil, err
		}
		if fin {
			return op, *buf, nil
		}
	}
}

// clientFrame is a final frame as a client sends it: masked.
func clientFrame(op byte, payload []byte) []byte {
	f := []byte{0x80 | op, 0x80 | byte(len(payload))} // control frames: at most 125 bytes
	var mask [4]byte
	rand.Read(mask[:])
	f = append(f, mask[:]...)
	for i, b := range payload {
		f = append(f, b^mask[i%4])
	}
	return f
}
