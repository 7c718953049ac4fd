package sdp

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// Offers as real phones send them.
const (
	baresipOffer = "v=0\r\no=- 1234 5678 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 10000 RTP/AVP 9 0 8 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n"
	sippPCMA = "v=0\no=user1 53655765 2353687637 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\n" +
		"m=audio 6000 RTP/AVP 8\na=rtpmap:8 PCMA/8000\n"
	holdOffer = "v=0\r\no=- 1 2 IN IP4 192.0.2.7\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 96\r\nc=IN IP4 192.0.2.7\r\n" +
		"a=rtpmap:96 telephone-event/8000\r\na=sendonly\r\n"
	opusOnly = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
	webrtc   = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=ice-ufrag:x\r\n"
	ipv6     = "v=0\r\no=- 1 2 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n"
)

var local = Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: 20000, SessionID: 42, Version: 1}

func TestAnswer(t *testing.T) {
	tests := []struct {
		name   string
		offer  string
		codec  string
		dtmfPT int // -1: none
		remote string
		dir    Direction
		err    error
	}{
		{"baresip prefers G722: we take PCMU", baresipOffer, "PCMU", 101, "127.0.0.1:10000", SendRecv, nil},
		{"sipp PCMA only", sippPCMA, "PCMA", -1, "127.0.0.1:6000", SendRecv, nil},
		{"held by the peer, static PT without rtpmap", holdOffer, "PCMU", 96, "192.0.2.7:4000", RecvOnly, nil},
		{"IPv6", ipv6, "PCMU", -1, "[::1]:5004", SendRecv, nil},
		{"opus only", opusOnly, "", 0, "", "", ErrNotAcceptable},
		{"WebRTC profile", webrtc, "", 0, "", "", ErrNotAcceptable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			offer, err := Parse([]byte(tc.offer))
			if err != nil {
				t.Fatal(err)
			}
			ans, n, err := Answer(offer, local)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if n.Codec.Name != tc.codec || n.Remote.String() != tc.remote || n.Direction != tc.dir {
				t.Fatalf("negotiated %+v", n)
			}
			if (tc.dtmfPT < 0) != (n.DTMF == nil) || (n.DTMF != nil && int(n.DTMF.PT) != tc.dtmfPT) {
				t.Fatalf("dtmf %+v, want PT %d", n.DTMF, tc.dtmfPT)
			}
			// The answer parses back and says the same.
			back, err := Parse(ans.Marshal())
			if err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, ans.Marshal())
			}
			m := back.Audio()
			if m.Port != local.Port || m.Formats[0].Name != tc.codec || m.Direction != tc.dir || m.Conn != local.Addr {
				t.Fatalf("answer %+v", m)
			}
		})
	}
}

func TestLocalHold(t *testing.T) {
	offer, _ := Parse([]byte(baresipOffer))
	for _, tc := range []struct {
		local, want Direction
	}{{SendOnly, SendOnly}, {Inactive, Inactive}, {SendRecv, SendRecv}} {
		l := local
		l.Direction = tc.local
		_, n, err := Answer(offer, l)
		if err != nil || n.Direction != tc.want {
			t.Errorf("holding with %s: %s %v", tc.local, n.Direction, err)
		}
	}
	held, _ := Parse([]byte(holdOffer)) // both hold: nobody sends
	l := local
	l.Direction = SendOnly
	if _, n, _ := Answer(held, l); n.Direction != Inactive {
		t.Errorf("both on hold: %s", n.Direction)
	}
}

func TestOfferAndReadAnswer(t *testing.T) {
	offer := Offer(local)
	parsed, err := Parse(offer.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(parsed.Audio().Formats, offer.Media[0].Formats) || parsed.Audio().Ptime != 20 {
		t.Fatalf("offer round trip:\n%s", offer.Marshal())
	}
	peer := Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: 30000, SessionID: 7, Version: 1}
	ans, _, err := Answer(parsed, peer)
	if err != nil {
		t.Fatal(err)
	}
	n, err := ReadAnswer(offer, ans)
	if err != nil || n.Codec.Name != "PCMU" || n.DTMF == nil || n.Remote.Port() != 30000 {
		t.Fatalf("read answer: %+v %v", n, err)
	}
	bad, _ := Parse([]byte(strings.Replace(sippPCMA, "RTP/AVP 8", "RTP/AVP 9", 1)))
	if _, err := ReadAnswer(offer, bad); !errors.Is(err, ErrNotAcceptable) {
		t.Fatalf("answer with a codec never offered: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no version", "o=- 1 1 IN IP4 1.2.3.4\r\n", "v=0"},
		{"bad version", "v=1\r\n", "version"},
		{"garbage line", "v=0\r\nhello\r\n", "type=value"},
		{"bad address", "v=0\r\nc=IN IP4 999.1.1.1\r\n", "IP4 address"},
		{"v6 as v4", "v=0\r\nc=IN IP4 ::1\r\n", "IP4 address"},
		{"bad port", "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", "port"},
		{"bad payload type", "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 200\r\n", "payload type"},
		{"no address", "v=0\r\nm=audio 4000 RTP/AVP 0\r\n", "connection address"},
		{"bad rtpmap", "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 foo\r\n", "rtpmap"},
		{"bad ptime", "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\na=ptime:0\r\n", "ptime"},
		{"huge", "v=0\r\n" + strings.Repeat("a=x\r\n", MaxSize), "over"},
	}
	for _, tc := range tests {
		if _, err := Parse([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// FuzzParse: no input crashes the parser, and whatever it accepts it
// writes back in a form it reads the same way.
func FuzzParse(f *testing.F) {
	for _, s := range []string{baresipOffer, sippPCMA, holdOffer, opusOnly, webrtc, ipv6, string(Offer(local).Marshal())} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		again, err := Parse(s.Marshal())
		if err != nil {
			t.Fatalf("re-parsing %q: %v", s.Marshal(), err)
		}
		if len(again.Media) != len(s.Media) {
			t.Fatalf("media lost: %d → %d", len(s.Media), len(again.Media))
		}
		for i := range s.Media {
			a, b := s.Media[i], again.Media[i]
			if a.Port != b.Port || a.Direction != b.Direction || len(a.Formats) != len(b.Formats) || a.Conn != b.Conn {
				t.Fatalf("media %d changed:\n%+v\n%+v", i, a, b)
			}
		}
		_, _, _ = Answer(s, local)
	})
}
