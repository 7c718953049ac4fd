// Package sdp reads and writes the Session Description Protocol (RFC 8866)
// as far as callfloor's calls need it, and negotiates an audio answer
// (RFC 3264): G.711 PCMU or PCMA, RFC 4733 telephone-event, and the stream
// direction that carries hold.
package sdp

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Direction is a media stream's direction attribute.
type Direction string

// Directions; SendRecv is the default when none is given.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Reverse is the direction an answer takes to an offer's: what the offerer
// sends, the answerer receives.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// Format is one payload type of a media line.
type Format struct {
	PT   uint8
	Name string // encoding name as written, e.g. "PCMU", "telephone-event"
	Rate int
	Fmtp string
}

// Media is one m= section.
type Media struct {
	Type    string // "audio", "video", ...
	Port    int
	Proto   string // "RTP/AVP", "UDP/TLS/RTP/SAVPF", ...
	Formats []Format
	// Tokens are the formats of a media line that is not RTP, as written.
	Tokens    []string
	Direction Direction
	Ptime     int
	// Conn is the media's connection address (its own c= line, or the
	// session's).
	Conn netip.Addr
	// Other keeps attribute lines this package does not interpret
	// (ICE, DTLS fingerprints...), in order, without "a=".
	Other []string
}

// Session is a parsed session description.
type Session struct {
	Origin  string // the o= value
	Name    string // the s= value
	Conn    netip.Addr
	Media   []Media
	Version int
}

// Audio returns the first audio section, or nil.
func (s *Session) Audio() *Media {
	for i := range s.Media {
		if s.Media[i].Type == "audio" {
			return &s.Media[i]
		}
	}
	return nil
}

// MaxSize is the largest description Parse accepts.
const MaxSize = 16 << 10

// Parse reads a session description. It is strict where a mistake would
// misroute media (addresses, ports, payload types) and lenient with lines
// it does not need.
func Parse(b []byte) (*Session, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("sdp: description of %d bytes is over %d", len(b), MaxSize)
	}
	s := &Session{Version: -1}
	var m *Media
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	for n, line := range lines {
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != '=' {
			return nil, fmt.Errorf("sdp: line %d: %q is not type=value", n+1, clip(line))
		}
		key, val := line[0], line[2:]
		var err error
		switch {
		case key == 'v':
			s.Version, err = strconv.Atoi(val)
			if err != nil || s.Version != 0 {
				return nil, fmt.Errorf("sdp: line %d: version must be 0", n+1)
			}
		case key == 'o':
			s.Origin = val
		case key == 's':
			s.Name = val
		case key == 'c':
			var addr netip.Addr
			if addr, err = parseConn(val); err != nil {
				return nil, fmt.Errorf("sdp: line %d: %w", n+1, err)
			}
			if m != nil {
				m.Conn = addr
			} else {
				s.Conn = addr
			}
		case key == 'm':
			s.Media = append(s.Media, Media{Direction: SendRecv})
			m = &s.Media[len(s.Media)-1]
			if err = parseMedia(m, val); err != nil {
				return nil, fmt.Errorf("sdp: line %d: %w", n+1, err)
			}
		case key == 'a' && m != nil:
			if err = parseAttr(m, val); err != nil {
				return nil, fmt.Errorf("sdp: line %d: %w", n+1, err)
			}
		}
	}
	if s.Version != 0 {
		return nil, errors.New("sdp: no v=0 line")
	}
	for i := range s.Media {
		if !s.Media[i].Conn.IsValid() {
			s.Media[i].Conn = s.Conn
		}
		if s.Media[i].Port != 0 && !s.Media[i].Conn.IsValid() {
			return nil, fmt.Errorf("sdp: %s media has no connection address", s.Media[i].Type)
		}
	}
	return s, nil
}

func parseConn(v string) (netip.Addr, error) {
	f := strings.Fields(v)
	if len(f) != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6") {
		return netip.Addr{}, fmt.Errorf("connection %q is not \"IN IP4|IP6 address\"", clip(v))
	}
	addr, err := netip.ParseAddr(strings.SplitN(f[2], "/", 2)[0])
	if err != nil || (f[1] == "IP4") != addr.Is4() {
		return netip.Addr{}, fmt.Errorf("connection address %q is not an %s address", clip(f[2]), f[1])
	}
	return addr, nil
}

func parseMedia(m *Media, v string) error {
	f := strings.Fields(v)
	if len(f) < 4 {
		return fmt.Errorf("media %q needs type, port, protocol and formats", clip(v))
	}
	m.Type, m.Proto = f[0], f[2]
	port, err := strconv.Atoi(strings.SplitN(f[1], "/", 2)[0])
	if err != nil || port < 0 || port > 65535 {
		return fmt.Errorf("media port %q is not 0 to 65535", clip(f[1]))
	}
	m.Port = port
	if !strings.Contains(m.Proto, "RTP") {
		m.Tokens = f[3:] // not RTP: formats are not payload types
		return nil
	}
	for _, p := range f[3:] {
		pt, err := strconv.Atoi(p)
		if err != nil || pt < 0 || pt > 127 {
			return fmt.Errorf("payload type %q is not 0 to 127", clip(p))
		}
		m.Formats = append(m.Formats, staticFormat(uint8(pt)))
	}
	return nil
}

// staticFormat is RFC 3551's meaning of a static payload type.
func staticFormat(pt uint8) Format {
	switch pt {
	case 0:
		return Format{PT: 0, Name: "PCMU", Rate: 8000}
	case 8:
		return Format{PT: 8, Name: "PCMA", Rate: 8000}
	case 9:
		return Format{PT: 9, Name: "G722", Rate: 8000}
	case 18:
		return Format{PT: 18, Name: "G729", Rate: 8000}
	}
	return Format{PT: pt}
}

func parseAttr(m *Media, v string) error {
	name, val, _ := strings.Cut(v, ":")
	switch name {
	case string(SendRecv), string(SendOnly), string(RecvOnly), string(Inactive):
		m.Direction = Direction(name)
	case "ptime":
		p, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || p < 1 || p > 1000 {
			return fmt.Errorf("ptime %q is not 1 to 1000 ms", clip(val))
		}
		m.Ptime = p
	case "rtpmap", "fmtp":
		ptStr, rest, ok := strings.Cut(val, " ")
		pt, err := strconv.Atoi(ptStr)
		if !ok || err != nil || pt < 0 || pt > 127 {
			return fmt.Errorf("%s %q has no payload type", name, clip(val))
		}
		f := m.format(uint8(pt))
		if f == nil {
			return nil // a map for a format not offered: ignored
		}
		if name == "fmtp" {
			f.Fmtp = strings.TrimSpace(rest)
			return nil
		}
		enc := strings.Split(strings.TrimSpace(rest), "/")
		rate, err := strconv.Atoi(strings.TrimSpace(safeIndex(enc, 1)))
		if len(enc) < 2 || enc[0] == "" || err != nil || rate <= 0 {
			return fmt.Errorf("rtpmap %q is not \"pt name/rate\"", clip(val))
		}
		f.Name, f.Rate = enc[0], rate
	default:
		m.Other = append(m.Other, v)
	}
	return nil
}

func (m *Media) format(pt uint8) *Format {
	for i := range m.Formats {
		if m.Formats[i].PT == pt {
			return &m.Formats[i]
		}
	}
	return nil
}

func safeIndex(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Marshal writes the description with CRLF line ends.
func (s *Session) Marshal() []byte {
	var b bytes.Buffer
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("v=0")
	line("o=%s", s.Origin)
	name := s.Name
	if name == "" {
		name = "-"
	}
	line("s=%s", name)
	if s.Conn.IsValid() {
		line("c=IN %s %s", ipVersion(s.Conn), s.Conn)
	}
	line("t=0 0")
	for _, m := range s.Media {
		pts := m.Tokens
		if strings.Contains(m.Proto, "RTP") {
			pts = make([]string, len(m.Formats))
			for i, f := range m.Formats {
				pts[i] = strconv.Itoa(int(f.PT))
			}
		}
		line("m=%s %d %s %s", m.Type, m.Port, m.Proto, strings.Join(pts, " "))
		if m.Conn.IsValid() && m.Conn != s.Conn {
			line("c=IN %s %s", ipVersion(m.Conn), m.Conn)
		}
		for _, f := range m.Formats {
			if f.Name != "" {
				line("a=rtpmap:%d %s/%d", f.PT, f.Name, f.Rate)
			}
			if f.Fmtp != "" {
				line("a=fmtp:%d %s", f.PT, f.Fmtp)
			}
		}
		if m.Ptime > 0 {
			line("a=ptime:%d", m.Ptime)
		}
		for _, o := range m.Other {
			line("a=%s", o)
		}
		line("a=%s", m.Direction)
	}
	return b.Bytes()
}

func ipVersion(a netip.Addr) string {
	if a.Is4() {
		return "IP4"
	}
	return "IP6"
}
