package forward

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The wire format. Every message starts with the format's version and
// its kind; numbers are unsigned varints, strings a varint length and
// their bytes, headers a varint count and that many name and value
// strings (a name appears once per value).
//
//	request (client → owner, on the account's subject)
//	  version 'q' method uri host remoteAddr flags headers
//	  flags&flagTLS: the client's connection was TLS
//	  flags&flagPulled: varint bodyLen, string bodySubject; the owner
//	    pulls the body from bodySubject (request: varint offset; reply:
//	    the bytes from there, at most a chunk). Otherwise the rest of the
//	    message is the body.
//
//	reply (owner → client, on the request's reply subject), numbered
//	from 0 so that a lost message is noticed
//	  version 'h' seq flags status headers body-part   the head
//	  version 'b' seq flags body-part                  more of the body
//	  version 'x' seq reason                           the owner gave up
//	  flags&flagLast: the body ends with this message
//	  flags&flagNotOwner (head only): the owner does not own the account
//	  and did not carry the request out; send it again
//
// A reply message that has a NATS reply subject asks the client to
// acknowledge it (an empty message) once it has passed it on: the owner
// waits for that every few chunks, so a slow client slows the owner down
// instead of piling chunks up.
const (
	version = 1

	kindRequest = 'q'
	kindHead    = 'h'
	kindBody    = 'b'
	kindAbort   = 'x'

	flagTLS      = 1 << 0
	flagPulled   = 1 << 1
	flagLast     = 1 << 0
	flagNotOwner = 1 << 1
)

// errMalformed is the cause of every decoding failure.
var errMalformed = errors.New("forward: malformed message")

// wireRequest is a forwarded request as it travels.
type wireRequest struct {
	Method     string
	URI        string
	Host       string
	RemoteAddr string
	TLS        bool
	Header     http.Header
	// Body is the body when it travels in the message; nil when pulled.
	Body []byte
	// Pulled: BodyLen bytes are pulled from BodySubject.
	Pulled      bool
	BodyLen     int64
	BodySubject string
}

// appendRequest encodes q (its Body included when not pulled).
func appendRequest(b []byte, q *wireRequest) []byte {
	b = append(b, version, kindRequest)
	b = appendString(b, q.Method)
	b = appendString(b, q.URI)
	b = appendString(b, q.Host)
	b = appendString(b, q.RemoteAddr)
	var flags byte
	if q.TLS {
		flags |= flagTLS
	}
	if q.Pulled {
		flags |= flagPulled
	}
	b = append(b, flags)
	b = appendHeader(b, q.Header)
	if q.Pulled {
		b = binary.AppendUvarint(b, uint64(q.BodyLen))
		return appendString(b, q.BodySubject)
	}
	return append(b, q.Body...)
}

// decodeRequest decodes and checks a request: a method that is a token,
// a URI in origin form (a path and a query), header names that are
// tokens and values without line breaks. Body aliases data.
func decodeRequest(data []byte) (*wireRequest, error) {
	d := decoder{b: data}
	if d.byte() != version || d.byte() != kindRequest {
		return nil, fmt.Errorf("%w: not a request of version %d", errMalformed, version)
	}
	q := &wireRequest{Method: d.string(), URI: d.string(), Host: d.string(), RemoteAddr: d.string()}
	flags := d.byte()
	q.TLS = flags&flagTLS != 0
	q.Pulled = flags&flagPulled != 0
	q.Header = d.header()
	if q.Pulled {
		n := d.uvarint()
		if n > 1<<62 {
			d.fail()
		}
		q.BodyLen = int64(n)
		q.BodySubject = d.string()
		if len(d.b) != 0 {
			d.fail()
		}
	} else if d.err == nil {
		q.Body = d.b
		q.BodyLen = int64(len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	switch {
	case flags&^(flagTLS|flagPulled) != 0:
		return nil, fmt.Errorf("%w: unknown request flags %#x", errMalformed, flags)
	case !isToken(q.Method):
		return nil, fmt.Errorf("%w: method %q", errMalformed, q.Method)
	case !strings.HasPrefix(q.URI, "/") || !isText(q.URI) || strings.ContainsAny(q.URI, " #"):
		return nil, fmt.Errorf("%w: request URI %q", errMalformed, q.URI)
	case !isText(q.Host) || !isText(q.RemoteAddr):
		return nil, fmt.Errorf("%w: host or remote address", errMalformed)
	case q.Pulled && (q.BodySubject == "" || !isText(q.BodySubject) || strings.ContainsAny(q.BodySubject, " \t*>")):
		return nil, fmt.Errorf("%w: body subject %q", errMalformed, q.BodySubject)
	}
	if _, err := url.ParseRequestURI(q.URI); err != nil {
		return nil, fmt.Errorf("%w: request URI %q: %v", errMalformed, q.URI, err)
	}
	return q, nil
}

// wireReply is one message of an answer.
type wireReply struct {
	Kind     byte
	Seq      uint64
	Last     bool
	NotOwner bool
	Status   int         // head
	Header   http.Header // head
	Body     []byte      // head and body; aliases the message
	Reason   string      // abort
}

func appendHead(b []byte, seq uint64, status int, h http.Header, last, notOwner bool, body []byte) []byte {
	b = append(b, version, kindHead)
	b = binary.AppendUvarint(b, seq)
	var flags byte
	if last {
		flags |= flagLast
	}
	if notOwner {
		flags |= flagNotOwner
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(status))
	b = appendHeader(b, h)
	return append(b, body...)
}

func appendBody(b []byte, seq uint64, last bool, body []byte) []byte {
	b = append(b, version, kindBody)
	b = binary.AppendUvarint(b, seq)
	var flags byte
	if last {
		flags |= flagLast
	}
	b = append(b, flags)
	return append(b, body...)
}

func appendAbort(b []byte, seq uint64, reason string) []byte {
	b = append(b, version, kindAbort)
	b = binary.AppendUvarint(b, seq)
	return appendString(b, reason)
}

// decodeReply decodes one message of an answer.
func decodeReply(data []byte) (*wireReply, error) {
	d := decoder{b: data}
	if d.byte() != version {
		return nil, fmt.Errorf("%w: not a reply of version %d", errMalformed, version)
	}
	m := &wireReply{Kind: d.byte()}
	m.Seq = d.uvarint()
	switch m.Kind {
	case kindHead, kindBody:
		flags := d.byte()
		if flags&^(flagLast|flagNotOwner) != 0 || (m.Kind == kindBody && flags&flagNotOwner != 0) {
			d.fail()
		}
		m.Last = flags&flagLast != 0
		m.NotOwner = flags&flagNotOwner != 0
		if m.Kind == kindHead {
			status := d.uvarint()
			if status < 200 || status > 999 {
				d.fail()
			}
			m.Status = int(status)
			m.Header = d.header()
		}
		if d.err == nil {
			m.Body = d.b
		}
	case kindAbort:
		m.Reason = d.string()
		if len(d.b) != 0 {
			d.fail()
		}
	default:
		d.fail()
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendHeader(b []byte, h http.Header) []byte {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	b = binary.AppendUvarint(b, uint64(n))
	for name, vs := range h {
		for _, v := range vs {
			b = appendString(b, name)
			b = appendString(b, v)
		}
	}
	return b
}

// decoder reads a message; the first failure sticks and later reads
// return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errMalformed
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// header reads a header block; names must be tokens and values must not
// hold line breaks. Every pair takes at least two bytes, so a count
// beyond half of what is left is malformed before anything is allocated.
func (d *decoder) header() http.Header {
	n := d.uvarint()
	if n > uint64(len(d.b))/2 {
		d.fail()
		return nil
	}
	h := make(http.Header, n)
	for range n {
		name, value := d.string(), d.string()
		if d.err != nil {
			return nil
		}
		if !isToken(name) || !validHeaderValue(value) {
			d.fail()
			return nil
		}
		name = http.CanonicalHeaderKey(name)
		h[name] = append(h[name], value)
	}
	return h
}

// isToken reports whether s is an HTTP token (RFC 9110 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v may be a header field's value: no
// control characters other than tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// isText reports whether s has no control characters at all.
func isText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
