package forward

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestNextWait(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	deadline := t0.Add(12 * time.Second)
	ms := time.Millisecond
	tests := []struct {
		try  int
		now  time.Time
		want time.Duration
		ok   bool
	}{
		{1, t0, 10 * ms, true},
		{2, t0, 20 * ms, true},
		{3, t0, 40 * ms, true},
		{4, t0, 80 * ms, true},
		{5, t0, 160 * ms, true},
		{6, t0, 250 * ms, true},
		{1000, t0, 250 * ms, true},
		{9, deadline.Add(-100 * ms), 100 * ms, true}, // the last try at the deadline
		{1, deadline.Add(-ms), ms, true},
		{9, deadline, 0, false},
		{9, deadline.Add(ms), 0, false},
	}
	for _, tt := range tests {
		if got, ok := nextWait(tt.try, tt.now, deadline); got != tt.want || ok != tt.ok {
			t.Errorf("nextWait(%d, deadline%+v) = %v, %v; want %v, %v", tt.try, tt.now.Sub(deadline), got, ok, tt.want, tt.ok)
		}
	}
}

func TestRequestRoundTrip(t *testing.T) {
	tests := []wireRequest{
		{Method: "GET", URI: "/api/v1/floor?x=1", Header: http.Header{}},
		{Method: "POST", URI: "/a", Host: "h:8080", RemoteAddr: "[::1]:5", TLS: true,
			Header: http.Header{"Content-Type": {"application/json"}, "X-Many": {"1", "2"}}, Body: []byte(`{"a":1}`)},
		{Method: "PUT", URI: "/import", Header: http.Header{}, Pulled: true, BodyLen: 5 << 20, BodySubject: "_INBOX.abc.b"},
	}
	for _, q := range tests {
		t.Run(q.Method, func(t *testing.T) {
			got, err := decodeRequest(appendRequest(nil, &q))
			if err != nil {
				t.Fatal(err)
			}
			if !q.Pulled {
				q.BodyLen = int64(len(q.Body))
				if q.Body == nil {
					q.Body = []byte{}
				}
			}
			if !reflect.DeepEqual(*got, q) {
				t.Errorf("got %+v\nwant %+v", *got, q)
			}
		})
	}
}

func TestMalformedRequests(t *testing.T) {
	good := func(f func(q *wireRequest)) []byte {
		q := &wireRequest{Method: "GET", URI: "/x", Header: http.Header{"A": {"b"}}}
		f(q)
		return appendRequest(nil, q)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"another version", append([]byte{2}, good(func(*wireRequest) {})[1:]...)},
		{"a reply", appendHead(nil, 0, 200, nil, true, false, nil)},
		{"cut short", good(func(*wireRequest) {})[:5]},
		{"method not a token", good(func(q *wireRequest) { q.Method = "GE T" })},
		{"empty method", good(func(q *wireRequest) { q.Method = "" })},
		{"absolute URI", good(func(q *wireRequest) { q.URI = "http://evil/x" })},
		{"URI with a line break", good(func(q *wireRequest) { q.URI = "/x\r\nHost: y" })},
		{"URI with a fragment", good(func(q *wireRequest) { q.URI = "/x#y" })},
		{"header name not a token", good(func(q *wireRequest) { q.Header = http.Header{"A b": {"c"}} })},
		{"header value with a line break", good(func(q *wireRequest) { q.Header = http.Header{"A": {"b\nc"}} })},
		{"host with a line break", good(func(q *wireRequest) { q.Host = "a\rb" })},
		{"pulled without a subject", good(func(q *wireRequest) { q.Pulled, q.BodyLen = true, 10 })},
		{"pulled to a wildcard", good(func(q *wireRequest) { q.Pulled, q.BodyLen, q.BodySubject = true, 10, "a.>" })},
		{"pulled with bytes after", append(good(func(q *wireRequest) { q.Pulled, q.BodyLen, q.BodySubject = true, 10, "a" }), 0)},
		{"unknown flags", func() []byte {
			b := good(func(*wireRequest) {})
			b[2+1+3+1+2+1+1] = 0x80 // method "GET", uri "/x", host "", remote "": flags
			return b
		}()},
		{"a huge header count", append([]byte{version, kindRequest, 3, 'G', 'E', 'T', 2, '/', 'x', 0, 0, 0},
			binary.AppendUvarint(nil, 1<<40)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if q, err := decodeRequest(tt.data); !errors.Is(err, errMalformed) {
				t.Fatalf("decoded %+v, %v", q, err)
			}
		})
	}
}

func TestReplyRoundTrip(t *testing.T) {
	h := http.Header{"Content-Type": {"text/csv"}, "Set-Cookie": {"a=1", "b=2"}}
	tests := []struct {
		name string
		data []byte
		want wireReply
	}{
		{"head", appendHead(nil, 0, 201, h, false, false, []byte("a,b")),
			wireReply{Kind: kindHead, Status: 201, Header: h, Body: []byte("a,b")}},
		{"whole", appendHead(nil, 0, 200, http.Header{}, true, false, nil),
			wireReply{Kind: kindHead, Status: 200, Header: http.Header{}, Last: true, Body: []byte{}}},
		{"not the owner", appendHead(nil, 0, 503, http.Header{}, true, true, nil),
			wireReply{Kind: kindHead, Status: 503, Header: http.Header{}, Last: true, NotOwner: true, Body: []byte{}}},
		{"body", appendBody(nil, 300, true, []byte("xyz")), wireReply{Kind: kindBody, Seq: 300, Last: true, Body: []byte("xyz")}},
		{"abort", appendAbort(nil, 2, "gone"), wireReply{Kind: kindAbort, Seq: 2, Reason: "gone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeReply(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
	for _, bad := range [][]byte{
		nil,
		{version},
		{version, 'z', 0},
		appendHead(nil, 0, 99, nil, true, false, nil),   // status below 200
		appendHead(nil, 0, 1000, nil, true, false, nil), // above 999
		{version, kindBody, 0, flagNotOwner},            // not-owner is the head's
		{version, kindBody, 0, 0x80},
		append(appendAbort(nil, 0, "x"), 'y'),
		appendHead(nil, 0, 200, http.Header{"X": {"a\x00"}}, true, false, nil),
	} {
		if m, err := decodeReply(bad); !errors.Is(err, errMalformed) {
			t.Errorf("%q decoded as %+v, %v", bad, m, err)
		}
	}
}

// FuzzDecodeRequest: whatever arrives on an account's subject is an
// error or a request that encodes back to itself, never a panic.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(appendRequest(nil, &wireRequest{Method: "GET", URI: "/a?b=c", Header: http.Header{"X": {"1", "2"}}}))
	f.Add(appendRequest(nil, &wireRequest{Method: "POST", URI: "/", Host: "h", RemoteAddr: "1.2.3.4:5", TLS: true,
		Header: http.Header{}, Body: []byte("{}")}))
	f.Add(appendRequest(nil, &wireRequest{Method: "PUT", URI: "/", Header: http.Header{}, Pulled: true, BodyLen: 9, BodySubject: "s"}))
	f.Add([]byte{version, kindRequest, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := decodeRequest(data)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error %v is not errMalformed", err)
			}
			return
		}
		again, err := decodeRequest(appendRequest(nil, q))
		if err != nil {
			t.Fatalf("%+v does not decode again: %v", q, err)
		}
		if again.Method != q.Method || again.URI != q.URI || again.Host != q.Host || again.RemoteAddr != q.RemoteAddr ||
			again.TLS != q.TLS || again.Pulled != q.Pulled || again.BodyLen != q.BodyLen ||
			again.BodySubject != q.BodySubject || !bytes.Equal(again.Body, q.Body) || !reflect.DeepEqual(again.Header, q.Header) {
			t.Fatalf("%+v came back as %+v", q, again)
		}
	})
}

// FuzzDecodeReply: whatever arrives on a reply subject is an error or an
// answer message, never a panic.
func FuzzDecodeReply(f *testing.F) {
	f.Add(appendHead(nil, 0, 200, http.Header{"A": {"b"}}, true, false, []byte("body")))
	f.Add(appendHead(nil, 0, 503, http.Header{}, true, true, nil))
	f.Add(appendBody(nil, 7, false, []byte("more")))
	f.Add(appendAbort(nil, 3, "cut"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeReply(data)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error %v is not errMalformed", err)
			}
			return
		}
		var b []byte
		switch m.Kind {
		case kindHead:
			b = appendHead(nil, m.Seq, m.Status, m.Header, m.Last, m.NotOwner, m.Body)
		case kindBody:
			b = appendBody(nil, m.Seq, m.Last, m.Body)
		case kindAbort:
			b = appendAbort(nil, m.Seq, m.Reason)
		default:
			t.Fatalf("kind %q decoded", m.Kind)
		}
		again, err := decodeReply(b)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("%+v came back as %+v, %v", m, again, err)
		}
	})
}
