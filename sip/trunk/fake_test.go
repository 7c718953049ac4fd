package trunk

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/internal/syncbuf"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

var t0 = time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

// carrier is a fake carrier registrar on 127.0.0.1: it challenges every
// REGISTER without valid credentials with a digest 401 (or 407) and
// accepts the rest, granting Grant seconds (what was asked when 0).
type carrier struct {
	t    *testing.T
	addr string // host:port

	mu         sync.Mutex
	realm      string
	user, pass string
	grant      int
	proxyAuth  bool   // challenge with 407
	minExpires int    // answer 423 below it
	fail       int    // answer this status to authorised requests
	retryAfter string // with fail
	seen       []seenRegister
	nonceN     int
}

// seenRegister is one REGISTER the carrier received.
type seenRegister struct {
	CallID     string
	CSeq       uint32
	Expires    int
	Authorized bool
	Contact    string
	Request    string
}

func newCarrier(t *testing.T, network string) *carrier {
	t.Helper()
	c := &carrier{t: t, realm: "carrier.test", user: "acct-1001", pass: "s3cret pass"}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("fake-carrier"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(c.onRegister)
	switch network {
	case "udp":
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c.addr = conn.LocalAddr().String()
		go srv.ServeUDP(conn)
	case "tcp":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c.addr = ln.Addr().String()
		go srv.ServeTCP(ln)
	}
	t.Cleanup(func() { ua.Close() })
	return c
}

func (c *carrier) set(f func(c *carrier)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c)
}

func (c *carrier) registers() []seenRegister {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]seenRegister(nil), c.seen...)
}

func (c *carrier) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	c.mu.Lock()
	defer c.mu.Unlock()
	expires := -1
	if h := req.GetHeader("Expires"); h != nil {
		expires, _ = strconv.Atoi(h.Value())
	}
	seen := seenRegister{CallID: req.CallID().Value(), CSeq: req.CSeq().SeqNo, Expires: expires, Request: req.String()}
	if h := req.Contact(); h != nil {
		seen.Contact = h.Address.String()
	}
	authHeader, chalHeader, chalCode := "Authorization", "WWW-Authenticate", sip.StatusUnauthorized
	if c.proxyAuth {
		authHeader, chalHeader, chalCode = "Proxy-Authorization", "Proxy-Authenticate", sip.StatusProxyAuthRequired
	}
	seen.Authorized = c.verify(req, authHeader)
	c.seen = append(c.seen, seen)
	switch {
	case !seen.Authorized:
		c.nonceN++
		res := sip.NewResponseFromRequest(req, chalCode, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader(chalHeader, fmt.Sprintf(`Digest realm=%q, nonce="n%d", algorithm=MD5, qop="auth"`, c.realm, c.nonceN)))
		tx.Respond(res)
	case expires > 0 && expires < c.minExpires:
		res := sip.NewResponseFromRequest(req, sip.StatusIntervalToBrief, "Interval Too Brief", nil)
		res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(c.minExpires)))
		tx.Respond(res)
	case c.fail != 0:
		res := sip.NewResponseFromRequest(req, c.fail, "Service Unavailable", nil)
		if c.retryAfter != "" {
			res.AppendHeader(sip.NewHeader("Retry-After", c.retryAfter))
		}
		tx.Respond(res)
	default:
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
		if ct := req.Contact(); ct != nil && expires != 0 {
			g := c.grant
			if g == 0 {
				g = expires
			}
			out := ct.Clone()
			out.Params = sip.NewParams()
			out.Params.Add("expires", strconv.Itoa(g))
			res.AppendHeader(out)
		}
		tx.Respond(res)
	}
}

// verify checks the request's digest answer against the carrier's user,
// password and realm, and that it answers the latest nonce.
func (c *carrier) verify(req *sip.Request, header string) bool {
	h := req.GetHeader(header)
	if h == nil {
		return false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Username != c.user || cred.Realm != c.realm || cred.Nonce != fmt.Sprintf("n%d", c.nonceN) ||
		cred.URI != req.Recipient.String() {
		return false
	}
	want, err := digest.Digest(&digest.Challenge{Realm: c.realm, Nonce: cred.Nonce, Algorithm: "MD5", QOP: []string{"auth"}},
		digest.Options{Method: req.Method.String(), URI: cred.URI, Username: c.user, Password: c.pass, Cnonce: cred.Cnonce, Count: cred.Nc})
	return err == nil && want.Response == cred.Response
}

// fakeStore lists trunks.
type fakeStore struct {
	mu     sync.Mutex
	trunks []*callfloor.Trunk
	err    error
}

func (s *fakeStore) ListEnabledTrunks(context.Context) ([]*callfloor.Trunk, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*callfloor.Trunk
	for _, t := range s.trunks {
		if t.Enabled {
			c := *t
			out = append(out, &c)
		}
	}
	return out, s.err
}

func (s *fakeStore) set(ts ...*callfloor.Trunk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trunks = ts
}

// harness is a Client on a fake clock with a fake store, and the statuses
// its callback saw.
type harness struct {
	t       *testing.T
	clock   *clocktest.Clock
	store   *fakeStore
	client  *Client
	logs    *syncbuf.Buffer
	mu      sync.Mutex
	changes []Status
}

func newHarness(t *testing.T, mods ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, clock: clocktest.New(t0), store: &fakeStore{}, logs: &syncbuf.Buffer{}}
	cfg := Config{
		Trunks: h.store, Contact: contactURI(), Clock: h.clock,
		Logger: testLogger(t, h.logs), Timeout: 5 * time.Second, RetryMin: 30 * time.Second, RetryMax: 4 * time.Minute,
		OnChange: func(s Status) {
			h.mu.Lock()
			h.changes = append(h.changes, s)
			h.mu.Unlock()
		},
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.client = c
	t.Cleanup(func() { c.Close() })
	return h
}

// testLogger logs into a buffer that a failed test prints: sipgo's
// goroutines may still log after the test ends, when t.Log panics.
func testLogger(t *testing.T, w *syncbuf.Buffer) *slog.Logger {
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(w.String())
		}
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// trunkFor returns an enabled registration trunk pointing at the carrier.
func trunkFor(c *carrier, id int64, mods ...func(*callfloor.Trunk)) *callfloor.Trunk {
	t := callfloor.NewTrunk(fmt.Sprintf("Carrier %d", id), c.addr)
	t.ID, t.AccountID = id, 7
	t.Username, t.Password = c.user, c.pass
	for _, m := range mods {
		m(t)
	}
	if err := t.Validate(); err != nil {
		panic(err)
	}
	return t
}

func (h *harness) reload() {
	h.t.Helper()
	if err := h.client.Reload(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// waitFor waits (in real time) until the trunk's status satisfies ok and
// the worker waits on the fake clock again, then returns the status.
func (h *harness) waitFor(id int64, what string, ok func(Status) bool) Status {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, s := range h.client.Status() {
			if s.TrunkID == id && ok(s) && !s.NextAttempt.Before(h.clock.Now()) && h.clock.Timers() > 0 {
				return s
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("trunk %d never %s; status %+v", id, what, h.client.Status())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitRegisters waits until the carrier saw n REGISTERs.
func waitRegisters(t *testing.T, c *carrier, n int) []seenRegister {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if seen := c.registers(); len(seen) >= n {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("the carrier saw %d REGISTERs, want %d", len(c.registers()), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) seenChanges() []Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Status(nil), h.changes...)
}

// contactURI is the address the client registers; nothing listens there.
func contactURI() sip.Uri { return sip.Uri{Host: "127.0.0.1", Port: 5099} }

// waitTimers waits until n timers wait on the fake clock.
func (h *harness) waitTimers(n int) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.clock.Timers() < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d timers, want %d", h.clock.Timers(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
