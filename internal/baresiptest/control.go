package baresiptest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
)

// control is the connection to baresip's ctrl_tcp module: JSON messages
// framed as netstrings ("<length>:<bytes>,"). Commands carry a token that
// their response repeats; events come unasked. ctrl_tcp serves one
// connection at a time (a new one replaces the old).
type control struct {
	conn    net.Conn
	onEvent func(Event)

	wmu sync.Mutex // serialises writes

	mu      sync.Mutex
	pending map[string]chan response
	next    int
	err     error         // why the connection ended, once done is closed
	done    chan struct{} // closed when the connection ends
}

// response is baresip's answer to a command.
type response struct {
	OK   bool   `json:"ok"`
	Data string `json:"data"`
}

// message is any message from baresip: a response or an event.
type message struct {
	Response bool   `json:"response"`
	Token    string `json:"token"`
	response
	Event
}

func newControl(conn net.Conn, onEvent func(Event)) *control {
	c := &control{conn: conn, onEvent: onEvent, pending: map[string]chan response{}, done: make(chan struct{})}
	go c.read()
	return c
}

// read dispatches messages until the connection ends.
func (c *control) read() {
	r := bufio.NewReader(c.conn)
	var err error
	for {
		var b []byte
		if b, err = readNetstring(r); err != nil {
			break
		}
		var m message
		if err = json.Unmarshal(b, &m); err != nil {
			err = fmt.Errorf("baresiptest: bad message %q: %w", b, err)
			break
		}
		if !m.Response {
			c.onEvent(m.Event)
			continue
		}
		c.mu.Lock()
		ch := c.pending[m.Token]
		delete(c.pending, m.Token)
		c.mu.Unlock()
		if ch != nil {
			ch <- m.response
		}
	}
	c.mu.Lock()
	c.err = fmt.Errorf("baresiptest: control connection: %w", err)
	c.mu.Unlock()
	close(c.done)
}

// command sends a command (with params, if any) and returns the data of
// its response, or an error if baresip says it failed.
func (c *control) command(ctx context.Context, cmd, params string) (string, error) {
	ch := make(chan response, 1)
	c.mu.Lock()
	c.next++
	token := strconv.Itoa(c.next)
	c.pending[token] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, token)
		c.mu.Unlock()
	}()

	req := map[string]string{"command": cmd, "token": token}
	if params != "" {
		req["params"] = params
	}
	b, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	c.wmu.Lock()
	_, err = c.conn.Write(appendNetstring(nil, b))
	c.wmu.Unlock()
	if err != nil {
		return "", fmt.Errorf("baresiptest: send %s: %w", cmd, err)
	}
	select {
	case r := <-ch:
		if !r.OK {
			return r.Data, fmt.Errorf("baresiptest: %s: baresip says %q", strings.TrimSpace(cmd+" "+params), r.Data)
		}
		return r.Data, nil
	case <-c.done:
		return "", c.err
	case <-ctx.Done():
		return "", fmt.Errorf("baresiptest: %s: no response: %w", strings.TrimSpace(cmd+" "+params), ctx.Err())
	}
}

func (c *control) close() error { return c.conn.Close() }

// maxMessage bounds a netstring's length (baresip's own limit is far
// lower).
const maxMessage = 1 << 20

func appendNetstring(dst, b []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, ':')
	dst = append(dst, b...)
	return append(dst, ',')
}

func readNetstring(r *bufio.Reader) ([]byte, error) {
	head, err := r.ReadString(':')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(head[:len(head)-1])
	if err != nil || n < 0 || n > maxMessage {
		return nil, fmt.Errorf("bad netstring length %q", head)
	}
	b := make([]byte, n+1)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	if b[n] != ',' {
		return nil, errors.New("netstring not ended by a comma")
	}
	return b[:n], nil
}
