package registrar

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestRegisterOverTLSAndWSS: a phone registers over SIP over TLS and a
// browser over secure WebSocket; each binding keeps the transport and the
// connection's address, so requests (here the keepalive) go back over
// that connection.
func TestRegisterOverTLSAndWSS(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	for _, tc := range []struct {
		transport string
		serve     func(*Registrar, net.Listener) error
		contact   string
		browser   bool
	}{
		{"TLS", func(r *Registrar, ln net.Listener) error { return r.ServeTLS(ln, serverTLS) }, "<sip:desk@127.0.0.1:5061;transport=tls>", false},
		{"WSS", func(r *Registrar, ln net.Listener) error { return r.ServeWSS(ln, serverTLS) }, "<sip:k3j4h5@df7jal23ls0d.invalid;transport=wss>", true},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			k := newKAHarness(t)
			h := k.harness
			ln := listen(t)
			go tc.serve(h.reg, ln)
			p := h.uaPhone(tc.transport, ln.Addr().(*net.TCPAddr).Port, clientTLS, answerOK)
			wantStatus(t, p.register(tc.contact, 600), sip.StatusOK)
			bs := h.reg.Contacts(1, 10)
			if len(bs) != 1 || bs[0].Transport != tc.transport || bs[0].Browser != tc.browser ||
				!strings.HasPrefix(bs[0].Source, "127.0.0.1:") || bs[0].Source == ln.Addr().String() {
				t.Fatalf("bindings %+v", bs)
			}
			// The connection the phone registered over is the one in the
			// registrar's pool under the binding's source.
			c := h.reg.ua.TransportLayer().Pool(tc.transport).Get(bs[0].Source)
			if c == nil {
				t.Fatalf("no %s connection from %s", tc.transport, bs[0].Source)
			}
			c.TryClose()
			if got := k.round(bs[0].Contact); got[bs[0].Contact].Status != sip.StatusOK {
				t.Fatalf("keepalive %+v", got)
			}
		})
	}
}

func TestServeTLSNeedsCertificate(t *testing.T) {
	h := newHarness(t)
	for _, conf := range []*tls.Config{nil, {}} {
		if err := h.reg.ServeTLS(listen(t), conf); err == nil {
			t.Errorf("ServeTLS with %v served", conf)
		}
		if err := h.reg.ServeWSS(listen(t), conf); err == nil {
			t.Errorf("ServeWSS with %v served", conf)
		}
	}
}

// A client that connects and says nothing (no TLS handshake, no upgrade
// request) holds no other browser back.
func TestSilentWebSocketClient(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	for _, transport := range []string{"WS", "WSS"} {
		t.Run(transport, func(t *testing.T) {
			h := newHarness(t)
			ln := listen(t)
			if transport == "WS" {
				go h.reg.ServeWS(ln)
			} else {
				go h.reg.ServeWSS(ln, serverTLS)
			}
			for range 3 {
				silent, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer silent.Close()
			}
			// A client that starts a request and stalls is no better.
			half, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer half.Close()
			if transport == "WSS" {
				half = tls.Client(half, clientTLS)
			}
			go half.Write([]byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"))

			start := time.Now()
			p := h.uaPhone(transport, ln.Addr().(*net.TCPAddr).Port, clientTLS, answerOK)
			wantStatus(t, p.register("<sip:b@x.invalid;transport=ws>", 600), sip.StatusOK)
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("registration took %v", d)
			}
		})
	}
}

// A connection that never finishes its upgrade request is dropped after
// the upgrade timeout; one that sends too much is dropped at once.
func TestUpgradeRequestTooLarge(t *testing.T) {
	h := newHarness(t)
	ln := listen(t)
	go h.reg.ServeWS(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go c.Write([]byte("GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxUpgradeHead) + "\r\n\r\n"))
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("an oversized upgrade request was answered")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("an oversized upgrade request was kept open")
	}
}
