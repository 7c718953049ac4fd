package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// fakeNG answers ng requests by command with rtpengine's recorded
// answers (testdata/ng), and keeps the requests.
func fakeNG(t *testing.T, answers map[string]string) (netip.AddrPort, <-chan map[string]any) {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	reqs := make(chan map[string]any, 16)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			cookie, body, _ := strings.Cut(string(buf[:n]), " ")
			v, err := decodeBencode([]byte(body))
			if err != nil {
				t.Errorf("request %q: %v", body, err)
				return
			}
			req := v.(map[string]any)
			reqs <- req
			answer, err := os.ReadFile("testdata/ng/" + answers[req["command"].(string)])
			if err != nil {
				t.Error(err)
				return
			}
			c.WriteToUDPAddrPort(append([]byte(cookie+" "), answer...), from)
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).AddrPort(), reqs
}

func TestNGCall(t *testing.T) {
	addr, reqs := fakeNG(t, map[string]string{"offer": "offer-answer.bencode", "answer": "answer-answer.bencode"})
	c, err := dialNG(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, b := netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:40002")
	toFromA, toFromB, err := c.call(context.Background(), "c1", a, b)
	if err != nil {
		t.Fatal(err)
	}
	// The offer's rewritten SDP goes to B: B sends to its port; the
	// answer's goes to A.
	if want := netip.MustParseAddrPort("127.0.0.1:41010"); toFromA != want {
		t.Errorf("A sends to %v, want %v", toFromA, want)
	}
	if want := netip.MustParseAddrPort("127.0.0.1:41000"); toFromB != want {
		t.Errorf("B sends to %v, want %v", toFromB, want)
	}
	offer, answer := <-reqs, <-reqs
	if offer["command"] != "offer" || offer["call-id"] != "c1" || offer["from-tag"] != "c1-a" ||
		!strings.Contains(offer["sdp"].(string), "m=audio 40000 RTP/AVP 0\r\n") {
		t.Errorf("offer %v", offer)
	}
	if answer["command"] != "answer" || answer["to-tag"] != "c1-b" || answer["from-tag"] != "c1-a" ||
		!strings.Contains(answer["sdp"].(string), "m=audio 40002 RTP/AVP 0\r\n") {
		t.Errorf("answer %v", answer)
	}
}

func TestNGError(t *testing.T) {
	addr, _ := fakeNG(t, map[string]string{"delete": "error.bencode"})
	c, err := dialNG(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.hangUp(context.Background(), "nope")
	if !errors.Is(err, errNG) || !strings.Contains(err.Error(), "Unknown call-id") {
		t.Errorf("hang-up of an unknown call: %v", err)
	}
}

func TestSDPAudio(t *testing.T) {
	for _, tt := range []struct{ sdp, want string }{
		{"v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 41000 RTP/AVP 0\r\n", "127.0.0.1:41000"},
		// The audio's own c= line wins over the session's; a second
		// m=audio does not count.
		{"v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 41000 RTP/AVP 0\r\nc=IN IP4 127.0.0.2\r\nm=audio 5 RTP/AVP 0\r\nc=IN IP4 10.9.9.9\r\n", "127.0.0.2:41000"},
		{"v=0\nm=video 9 RTP/AVP 96\nc=IN IP4 10.0.0.9\nm=audio 7 RTP/AVP 0\nc=IN IP4 127.0.0.3\n", "127.0.0.3:7"},
		// A video's c= line is not the session's.
		{"v=0\nc=IN IP4 127.0.0.4\nm=video 9 RTP/AVP 96\nc=IN IP4 10.0.0.9\nm=audio 7 RTP/AVP 0\n", "127.0.0.4:7"},
	} {
		got, err := sdpAudio(map[string]any{"sdp": tt.sdp})
		if err != nil || got.String() != tt.want {
			t.Errorf("sdpAudio(%q) = %v, %v; want %s", tt.sdp, got, err, tt.want)
		}
	}
	for _, sdp := range []string{"", "v=0\r\nm=audio 41000 RTP/AVP 0\r\n", "c=IN IP4 127.0.0.1\r\nm=audio\r\n",
		"c=IN IP4 127.0.0.1\r\nm=audio 0 RTP/AVP 0\r\n", "c=IN IP4 nowhere\r\nm=audio 4 RTP/AVP 0\r\n"} {
		if got, err := sdpAudio(map[string]any{"sdp": sdp}); err == nil {
			t.Errorf("sdpAudio(%q) = %v, want an error", sdp, got)
		}
	}
}
