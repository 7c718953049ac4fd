package registrar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

var t0 = time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)

// fakeStore is a CredentialStore of extensions keyed by SIP username.
type fakeStore struct {
	mu    sync.Mutex
	exts  map[string]*callfloor.Extension
	panic bool
}

func (s *fakeStore) FindSIPCredentials(_ context.Context, username string) (*callfloor.Extension, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.panic {
		panic("store exploded")
	}
	e, ok := s.exts[username]
	if !ok {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "no such SIP username")
	}
	c := *e
	return &c, nil
}

// harness is a registrar on 127.0.0.1 UDP with a fake clock and store.
type harness struct {
	t     *testing.T
	clock *clocktest.Clock
	store *fakeStore
	reg   *Registrar
	addr  *net.UDPAddr
	// ext is extension 100 of account 1; secret its password.
	ext    *callfloor.Extension
	secret string
}

func newHarness(t *testing.T, mods ...func(*Config)) *harness {
	t.Helper()
	return newHarnessWith(t, nil, mods...)
}

// newHarnessWith is newHarness with setup run on the registrar before it
// serves (to add handlers).
func newHarnessWith(t *testing.T, setup func(*Registrar), mods ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, clock: clocktest.New(t0), store: &fakeStore{exts: map[string]*callfloor.Extension{}}}
	h.ext, h.secret = h.addExt(1, 10, "100"), "correct horse battery"
	h.ext.SetSIPSecret(callfloor.DefaultSIPRealm, h.secret)
	cfg := Config{Store: h.store, Clock: h.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	for _, m := range mods {
		m(&cfg)
	}
	reg, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(reg)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go reg.ServeUDP(conn)
	t.Cleanup(func() { reg.Close(); conn.Close() })
	h.reg, h.addr = reg, conn.LocalAddr().(*net.UDPAddr)
	return h
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// addExt stores an extension with a random secret.
func (h *harness) addExt(account, id int64, number string) *callfloor.Extension {
	e := &callfloor.Extension{ID: id, AccountID: account, Number: number, SIPUsername: callfloor.NewSIPUsername(number)}
	e.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
	h.store.mu.Lock()
	h.store.exts[e.SIPUsername] = e
	h.store.mu.Unlock()
	return e
}

// setSecret changes the secret of h.ext.
func (h *harness) setSecret(secret string) {
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	h.secret = secret
	h.ext.SetSIPSecret(callfloor.DefaultSIPRealm, secret)
}

// phone is a SIP client (sipgo) registering one address of record.
type phone struct {
	h          *harness
	c          *sipgo.Client
	user, pass string
	callID     string
	cseq       uint32
}

var phoneSeq int

func (h *harness) phone(user, pass string) *phone {
	h.t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-phone"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { ua.Close() })
	c, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"),
		sipgo.WithClientLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		h.t.Fatal(err)
	}
	phoneSeq++
	return &phone{h: h, c: c, user: user, pass: pass, callID: fmt.Sprintf("call-%d-%d@test", phoneSeq, time.Now().UnixNano())}
}

// request builds a REGISTER for contacts; expires < 0 leaves the Expires
// header out.
func (p *phone) request(method sip.RequestMethod, expires int, contacts ...string) *sip.Request {
	p.cseq++
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: p.h.addr.Port})
	aor := sip.Uri{Scheme: "sip", User: p.user, Host: "callfloor.test"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", "ft1")
	req.AppendHeader(from)
	callID := sip.CallIDHeader(p.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: p.cseq, MethodName: method})
	for _, c := range contacts {
		req.AppendHeader(sip.NewHeader("Contact", c))
	}
	if expires >= 0 {
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	}
	req.SetTransport("UDP")
	return req
}

func (p *phone) do(req *sip.Request) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return p.c.Do(ctx, req)
}

// register sends a REGISTER, answers the challenge with the phone's
// password and returns the final answer.
func (p *phone) register(expires int, contacts ...string) *sip.Response {
	p.h.t.Helper()
	req := p.request(sip.REGISTER, expires, contacts...)
	res, err := p.do(req)
	if err != nil {
		p.h.t.Fatalf("REGISTER: %v", err)
	}
	if res.StatusCode != sip.StatusUnauthorized {
		return res
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err = p.c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.user, Password: p.pass})
	if err != nil {
		p.h.t.Fatalf("REGISTER with credentials: %v", err)
	}
	p.cseq = req.CSeq().SeqNo
	return res
}

func wantStatus(t *testing.T, res *sip.Response, code int) {
	t.Helper()
	if res == nil || res.StatusCode != code {
		t.Fatalf("answer %v, want %d", res, code)
	}
}

// contactsOf returns the Contact values of a response.
func contactsOf(res *sip.Response) []string {
	var out []string
	for _, h := range res.GetHeaders("Contact") {
		out = append(out, h.Value())
	}
	return out
}

// rawUDP sends msg from laddr (host:0 for any port) and returns the
// answer, or nil if none came within wait.
func (h *harness) rawUDP(laddr, msg string, wait time.Duration) *sip.Response {
	h.t.Helper()
	conn, err := net.ListenPacket("udp", laddr)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.WriteTo([]byte(msg), h.addr); err != nil {
		h.t.Fatal(err)
	}
	buf := make([]byte, 65535)
	conn.SetReadDeadline(time.Now().Add(wait))
	n, _, err := conn.ReadFrom(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	m, err := sip.ParseMessage(buf[:n])
	if err != nil {
		h.t.Fatalf("unparsable answer: %v", err)
	}
	res, ok := m.(*sip.Response)
	if !ok {
		h.t.Fatalf("answer is not a response: %v", m)
	}
	return res
}

// options returns a raw OPTIONS request from the host of laddr.
func (h *harness) options(laddr string, n int) string {
	host, _, _ := net.SplitHostPort(laddr)
	return fmt.Sprintf("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s:5999;rport;branch=z9hG4bK-raw-%d-%d\r\n"+
		"From: <sip:probe@%s>;tag=raw%d\r\nTo: <sip:127.0.0.1>\r\nCall-ID: raw-%d-%d@test\r\n"+
		"CSeq: %d OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		h.addr.Port, host, n, time.Now().UnixNano(), host, n, n, time.Now().UnixNano(), n)
}

// nextChange waits for a change on ch.
func nextChange(t *testing.T, ch <-chan Change) Change {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(2 * time.Second):
		t.Fatal("no change reported")
	}
	return Change{}
}

func TestMain(m *testing.M) {
	// The test phones' sipgo logs nothing; the registrar logs to each
	// test (go test -v).
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}
