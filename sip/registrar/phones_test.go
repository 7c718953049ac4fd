package registrar

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// testTLS returns a server configuration with a fresh self-signed ECDSA
// certificate for 127.0.0.1 and a client configuration that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "callfloor test"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}, MinVersion: tls.VersionTLS12}
	return server, &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
}

// listen returns a TCP listener on loopback, closed with the test.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// Answers of a uaPhone to OPTIONS.
const (
	mute     = 0                          // no SIP server at all: no answer
	noMethod = sip.StatusMethodNotAllowed // a server without an OPTIONS handler
	answerOK = sip.StatusOK
)

// uaPhone is a sipgo user agent playing a phone that registers over one
// transport and answers OPTIONS as told.
type uaPhone struct {
	t          *testing.T
	ua         *sipgo.UserAgent
	c          *sipgo.Client
	transport  string
	port       int
	user, pass string
	callID     string
	cseq       uint32
}

func (h *harness) uaPhone(transport string, port int, clientTLS *tls.Config, answer int) *uaPhone {
	h.t.Helper()
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := []sipgo.UserAgentOption{sipgo.WithUserAgent("test-phone"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(discard))}
	if clientTLS != nil {
		opts = append(opts, sipgo.WithUserAgenTLSConfig(clientTLS))
	}
	ua, err := sipgo.NewUA(opts...)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { ua.Close() })
	if answer != mute {
		srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(discard))
		if err != nil {
			h.t.Fatal(err)
		}
		if answer == answerOK {
			srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
				tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
			})
		}
	}
	c, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(discard))
	if err != nil {
		h.t.Fatal(err)
	}
	phoneSeq++
	return &uaPhone{t: h.t, ua: ua, c: c, transport: transport, port: port,
		user: h.ext.SIPUsername, pass: h.secret, callID: fmt.Sprintf("ua-%d-%d@test", phoneSeq, time.Now().UnixNano())}
}

// register registers contact for expires seconds, answering the
// challenge, and returns the final answer.
func (p *uaPhone) register(contact string, expires int) *sip.Response {
	p.t.Helper()
	p.cseq++
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: p.port})
	aor := sip.Uri{Scheme: "sip", User: p.user, Host: "callfloor.test"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", "ua1")
	req.AppendHeader(from)
	callID := sip.CallIDHeader(p.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: p.cseq, MethodName: sip.REGISTER})
	req.AppendHeader(sip.NewHeader("Contact", contact))
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(expires)))
	req.SetTransport(p.transport)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := p.c.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("REGISTER over %s: %v", p.transport, err)
	}
	if res.StatusCode != sip.StatusUnauthorized {
		return res
	}
	res, err = p.c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.user, Password: p.pass})
	if err != nil {
		p.t.Fatalf("REGISTER over %s with credentials: %v", p.transport, err)
	}
	p.cseq = req.CSeq().SeqNo
	return res
}

// die closes the phone's sockets and connections without unregistering.
func (p *uaPhone) die() { p.ua.Close() }
