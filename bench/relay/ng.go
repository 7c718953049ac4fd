package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ngClient speaks rtpengine's ng control protocol: each request is a
// random cookie, a space and a bencoded dictionary in one UDP datagram;
// the answer repeats the cookie. Requests go one at a time, retried on
// silence as a SIP proxy's rtpengine module does.
type ngClient struct {
	conn *net.UDPConn
	buf  []byte
}

func dialNG(addr netip.AddrPort) (*ngClient, error) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return nil, err
	}
	return &ngClient{conn: c, buf: make([]byte, 65536)}, nil
}

func (c *ngClient) Close() error { return c.conn.Close() }

// errNG is an answer whose result is not "ok" (or "pong").
var errNG = errors.New("rtpengine")

// do sends req and returns the answer's dictionary.
func (c *ngClient) do(ctx context.Context, req map[string]any) (map[string]any, error) {
	var raw [8]byte
	rand.Read(raw[:])
	cookie := hex.EncodeToString(raw[:])
	msg, err := appendBencode([]byte(cookie+" "), req)
	if err != nil {
		return nil, err
	}
	for try := 0; try < 5; try++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := c.conn.Write(msg); err != nil {
			return nil, err
		}
		c.conn.SetReadDeadline(time.Now().Add(time.Second))
		for {
			n, err := c.conn.Read(c.buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break // send again
				}
				return nil, err
			}
			got, body, ok := strings.Cut(string(c.buf[:n]), " ")
			if !ok || got != cookie {
				continue // an answer to an earlier try
			}
			v, err := decodeBencode([]byte(body))
			if err != nil {
				return nil, err
			}
			d, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: answer is a %T, not a dictionary", errNG, v)
			}
			if r, _ := d["result"].(string); r != "ok" && r != "pong" {
				reason, _ := d["error-reason"].(string)
				return nil, fmt.Errorf("%w: %s: %s %s", errNG, req["command"], r, reason)
			}
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: no answer to %s", errNG, req["command"])
}

// ping checks that rtpengine answers.
func (c *ngClient) ping(ctx context.Context) error {
	_, err := c.do(ctx, map[string]any{"command": "ping"})
	return err
}

// call allocates one call's two legs in rtpengine, as a SIP proxy would
// for an INVITE from phone a answered by phone b, both offering PCMU. It
// returns where each phone is to send its RTP: a to the address in the
// answer rtpengine rewrote, b to the one in the offer.
func (c *ngClient) call(ctx context.Context, id string, a, b netip.AddrPort) (toFromA, toFromB netip.AddrPort, err error) {
	offer, err := c.do(ctx, map[string]any{
		"command": "offer", "call-id": id, "from-tag": id + "-a", "sdp": pcmuSDP(a),
		"replace": []any{"origin", "session-connection"},
	})
	if err != nil {
		return toFromA, toFromB, err
	}
	if toFromB, err = sdpAudio(offer); err != nil {
		return toFromA, toFromB, fmt.Errorf("offer of %s: %w", id, err)
	}
	answer, err := c.do(ctx, map[string]any{
		"command": "answer", "call-id": id, "from-tag": id + "-a", "to-tag": id + "-b", "sdp": pcmuSDP(b),
		"replace": []any{"origin", "session-connection"},
	})
	if err != nil {
		return toFromA, toFromB, err
	}
	if toFromA, err = sdpAudio(answer); err != nil {
		return toFromA, toFromB, fmt.Errorf("answer of %s: %w", id, err)
	}
	return toFromA, toFromB, nil
}

// hangUp deletes a call.
func (c *ngClient) hangUp(ctx context.Context, id string) error {
	_, err := c.do(ctx, map[string]any{"command": "delete", "call-id": id, "from-tag": id + "-a"})
	return err
}

// pcmuSDP is a phone's SDP offering PCMU at addr.
func pcmuSDP(addr netip.AddrPort) string {
	ip := addr.Addr().String()
	return "v=0\r\n" +
		"o=- 1 1 IN IP4 " + ip + "\r\n" +
		"s=-\r\n" +
		"c=IN IP4 " + ip + "\r\n" +
		"t=0 0\r\n" +
		"m=audio " + strconv.Itoa(int(addr.Port())) + " RTP/AVP 0\r\n" +
		"a=rtpmap:0 PCMU/8000\r\n" +
		"a=ptime:20\r\n" +
		"a=sendrecv\r\n"
}

// sdpAudio reads the audio address of the SDP in an ng answer: the
// m=audio port, at the address of the audio's own c= line or else the
// session's.
func sdpAudio(d map[string]any) (netip.AddrPort, error) {
	sdp, _ := d["sdp"].(string)
	var session, media netip.Addr
	port, inMedia, inAudio := -1, false, false
	for line := range strings.Lines(sdp) {
		line = strings.TrimRight(line, "\r\n")
		if rest, ok := strings.CutPrefix(line, "c=IN IP4 "); ok {
			ip, err := netip.ParseAddr(strings.TrimSpace(rest))
			if err != nil {
				return netip.AddrPort{}, fmt.Errorf("sdp: c= line %q", line)
			}
			switch {
			case !inMedia:
				session = ip
			case inAudio:
				media = ip
			}
		}
		if strings.HasPrefix(line, "m=") {
			inMedia, inAudio = true, false
		}
		if rest, ok := strings.CutPrefix(line, "m=audio "); ok && port < 0 {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return netip.AddrPort{}, fmt.Errorf("sdp: m= line %q", line)
			}
			p, err := strconv.Atoi(f[0])
			if err != nil || p <= 0 || p > 65535 {
				return netip.AddrPort{}, fmt.Errorf("sdp: m= line %q", line)
			}
			port, inAudio = p, true
		}
	}
	ip := media
	if !ip.IsValid() {
		ip = session
	}
	if !ip.IsValid() || port < 0 {
		return netip.AddrPort{}, fmt.Errorf("sdp: no audio address in %q", sdp)
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}
