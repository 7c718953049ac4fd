package registrar

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/callfloor/callfloor/internal/syncbuf"
)

func TestRegisterGoodPassword(t *testing.T) {
	h := newHarness(t)
	changes, stop := h.reg.Watch()
	defer stop()
	p := h.phone(h.ext.SIPUsername, h.secret)

	res := p.register(600, "<sip:100@127.0.0.1:5070>")
	wantStatus(t, res, sip.StatusOK)
	if got := contactsOf(res); !slices.Equal(got, []string{"<sip:100@127.0.0.1:5070>;expires=600"}) {
		t.Fatalf("contacts %q", got)
	}
	if !h.reg.Registered(h.ext.AccountID, h.ext.ID) {
		t.Fatal("not registered")
	}
	bs := h.reg.Contacts(h.ext.AccountID, h.ext.ID)
	if len(bs) != 1 || bs[0].Contact != "sip:100@127.0.0.1:5070" || bs[0].Transport != "UDP" ||
		!strings.HasPrefix(bs[0].Source, "127.0.0.1:") || !bs[0].Expires.Equal(t0.Add(600*time.Second)) || bs[0].Browser {
		t.Fatalf("bindings %+v", bs)
	}
	if c := nextChange(t, changes); c != (Change{AccountID: 1, ExtensionID: 10, Registered: true, Contacts: 1, Softphone: true}) {
		t.Fatalf("change %+v", c)
	}
	if h.reg.Registered(h.ext.AccountID, 99) || h.reg.Registered(2, h.ext.ID) {
		t.Fatal("another extension registered")
	}

	// A refresh keeps one binding and reports no change; the number works
	// as the address of record too.
	p.user = h.ext.SIPUsername
	wantStatus(t, p.register(300, "<sip:100@127.0.0.1:5070>"), sip.StatusOK)
	if bs := h.reg.Contacts(1, 10); len(bs) != 1 || !bs[0].Expires.Equal(t0.Add(300*time.Second)) {
		t.Fatalf("after refresh %+v", bs)
	}
	select {
	case c := <-changes:
		t.Fatalf("refresh reported %+v", c)
	default:
	}
}

func TestWrongPasswordAndBan(t *testing.T) {
	h := newHarness(t)
	bad := h.phone(h.ext.SIPUsername, "wrong password")
	for i := 0; i < 5; i++ {
		res := bad.register(600, "<sip:100@127.0.0.1:5070>")
		wantStatus(t, res, sip.StatusUnauthorized)
	}
	// Banned: even the right password and OPTIONS are refused, from this
	// address only.
	good := h.phone(h.ext.SIPUsername, h.secret)
	wantStatus(t, good.register(600, "<sip:100@127.0.0.1:5070>"), sip.StatusForbidden)
	wantStatus(t, h.rawUDP("127.0.0.1:0", h.options("127.0.0.1:0", 1), time.Second), sip.StatusForbidden)
	wantStatus(t, h.rawUDP("127.0.0.2:0", h.options("127.0.0.2:0", 2), time.Second), sip.StatusOK)
	if h.reg.Registered(1, 10) {
		t.Fatal("registered while banned")
	}

	h.clock.Advance(15*time.Minute - time.Second)
	wantStatus(t, good.register(600, "<sip:100@127.0.0.1:5070>"), sip.StatusForbidden)
	h.clock.Advance(time.Second)
	wantStatus(t, good.register(600, "<sip:100@127.0.0.1:5070>"), sip.StatusOK)
}

func TestFailuresOutsideWindowDoNotBan(t *testing.T) {
	h := newHarness(t)
	bad := h.phone(h.ext.SIPUsername, "wrong password")
	for i := 0; i < 8; i++ {
		wantStatus(t, bad.register(600, "<sip:a@127.0.0.1>"), sip.StatusUnauthorized)
		h.clock.Advance(time.Minute + time.Second) // 4 per 5-minute window at most
		if i%4 == 3 {
			h.clock.Advance(5 * time.Minute)
		}
	}
	wantStatus(t, h.phone(h.ext.SIPUsername, h.secret).register(600, "<sip:a@127.0.0.1>"), sip.StatusOK)
}

// shape is a 401 with what differs per request blanked: the nonce, the
// tags, Via, Call-ID and CSeq.
func shape(res *sip.Response) string {
	var b strings.Builder
	b.WriteString(res.StartLine())
	for _, h := range res.Headers() {
		switch strings.ToLower(h.Name()) {
		case "via", "from", "to", "call-id", "cseq":
			b.WriteString("\n" + h.Name())
			continue
		}
		b.WriteString("\n" + h.Name() + ": " + regexp.MustCompile(`nonce="[^"]*"`).ReplaceAllString(h.Value(), `nonce="N"`))
	}
	return b.String()
}

func TestUnknownUserSameChallenge(t *testing.T) {
	h := newHarness(t)
	known := h.phone(h.ext.SIPUsername, "wrong password")
	unknown := h.phone("100-nobodyxx", "wrong password")
	var shapes []string
	for _, p := range []*phone{known, unknown} {
		first, err := p.do(p.request(sip.REGISTER, 600, "<sip:x@127.0.0.1>"))
		wantStatus(t, first, sip.StatusUnauthorized)
		if err != nil {
			t.Fatal(err)
		}
		final := p.register(600, "<sip:x@127.0.0.1>")
		wantStatus(t, final, sip.StatusUnauthorized)
		if shape(first) != shape(final) {
			t.Fatalf("challenge and failure differ:\n%s\n---\n%s", shape(first), shape(final))
		}
		shapes = append(shapes, shape(final))
	}
	if shapes[0] != shapes[1] {
		t.Fatalf("known and unknown user differ:\n%s\n---\n%s", shapes[0], shapes[1])
	}
	if len(known.mustChallenges(t)) != 2 {
		t.Fatal("want an MD5 and a SHA-256 challenge")
	}
	// Both count: 2 failures so far, 3 more ban.
	for i := 0; i < 3; i++ {
		wantStatus(t, unknown.register(600, "<sip:x@127.0.0.1>"), sip.StatusUnauthorized)
	}
	wantStatus(t, known.register(600, "<sip:x@127.0.0.1>"), sip.StatusForbidden)
}

func (p *phone) mustChallenges(t *testing.T) []*digest.Challenge {
	t.Helper()
	res, err := p.do(p.request(sip.REGISTER, 600, "<sip:x@127.0.0.1>"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*digest.Challenge
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestSHA256(t *testing.T) {
	h := newHarness(t)
	p := h.phone(h.ext.SIPUsername, h.secret)
	req := p.request(sip.REGISTER, 600, "<sip:sha@127.0.0.1>")
	res, err := p.do(req)
	if err != nil {
		t.Fatal(err)
	}
	var chal *digest.Challenge
	for _, hd := range res.GetHeaders("WWW-Authenticate") {
		if c, _ := digest.ParseChallenge(hd.Value()); c != nil && c.Algorithm == "SHA-256" {
			chal = c
		}
	}
	if chal == nil || !chal.SupportsQOP("auth") || chal.Realm != "callfloor" {
		t.Fatalf("no SHA-256 challenge: %v", res)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.Addr(), Username: p.user, Password: p.pass})
	if err != nil {
		t.Fatal(err)
	}
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	req.CSeq().SeqNo++
	req.RemoveHeader("Via")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err = p.c.Do(ctx, req, sipgo.ClientRequestAddVia)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, res, sip.StatusOK)
}

func TestStaleNonce(t *testing.T) {
	h := newHarness(t)
	p := h.phone(h.ext.SIPUsername, "wrong password")
	for i := 0; i < 6; i++ {
		req := p.request(sip.REGISTER, 600, "<sip:x@127.0.0.1>")
		res, err := p.do(req)
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(5*time.Minute + time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		res, err = p.c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.user, Password: p.pass})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, res, sip.StatusUnauthorized)
		p.cseq = req.CSeq().SeqNo
		if !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale=true") {
			t.Fatalf("not stale: %v", res)
		}
	}
	// Stale answers are not failures: no ban after six.
	wantStatus(t, h.phone(h.ext.SIPUsername, h.secret).register(600, "<sip:x@127.0.0.1>"), sip.StatusOK)
}

func TestExpiry(t *testing.T) {
	h := newHarness(t)
	changes, stop := h.reg.Watch()
	defer stop()
	p := h.phone(h.ext.SIPUsername, h.secret)
	wantStatus(t, p.register(60, "<sip:a@127.0.0.1:5070>"), sip.StatusOK)
	nextChange(t, changes)
	h.clock.Advance(59 * time.Second)
	if !h.reg.Registered(1, 10) {
		t.Fatal("expired early")
	}
	h.clock.Advance(time.Second)
	if h.reg.Registered(1, 10) {
		t.Fatal("still registered at expiry")
	}
	if c := nextChange(t, changes); c != (Change{AccountID: 1, ExtensionID: 10}) {
		t.Fatalf("change %+v", c)
	}
}

func TestExpiresBounds(t *testing.T) {
	h := newHarness(t)
	p := h.phone(h.ext.SIPUsername, h.secret)
	res := p.register(59, "<sip:a@127.0.0.1>")
	wantStatus(t, res, sip.StatusIntervalToBrief)
	if v := res.GetHeader("Min-Expires"); v == nil || v.Value() != "60" {
		t.Fatalf("Min-Expires %v", v)
	}
	res = p.register(-1, "<sip:a@127.0.0.1>;expires=30")
	wantStatus(t, res, sip.StatusIntervalToBrief)
	// The contact parameter wins over the header; above the maximum is cut.
	res = p.register(30, "<sip:a@127.0.0.1>;expires=7200")
	wantStatus(t, res, sip.StatusOK)
	if got := contactsOf(res); !slices.Equal(got, []string{"<sip:a@127.0.0.1>;expires=3600"}) {
		t.Fatalf("contacts %q", got)
	}
	// No Expires at all: the default.
	res = p.register(-1, "<sip:b@127.0.0.1>")
	wantStatus(t, res, sip.StatusOK)
	if len(contactsOf(res)) != 2 {
		t.Fatalf("contacts %q", contactsOf(res))
	}
	wantStatus(t, p.register(-1, "<sip:c@127.0.0.1>;expires=soon"), sip.StatusBadRequest)
}

func TestTwoContactsAndUnregister(t *testing.T) {
	h := newHarness(t)
	changes, stop := h.reg.Watch()
	defer stop()
	desk := h.phone(h.ext.SIPUsername, h.secret)
	soft := h.phone(h.ext.SIPUsername, h.secret)
	wantStatus(t, desk.register(600, "<sip:desk@127.0.0.1:5070>"), sip.StatusOK)
	h.clock.Advance(100 * time.Second)
	res := soft.register(300, "<sip:soft@127.0.0.1:5080>")
	wantStatus(t, res, sip.StatusOK)
	if got := contactsOf(res); !slices.Equal(got, []string{"<sip:desk@127.0.0.1:5070>;expires=500", "<sip:soft@127.0.0.1:5080>;expires=300"}) {
		t.Fatalf("contacts %q", got)
	}
	nextChange(t, changes)
	if c := nextChange(t, changes); c.Contacts != 2 {
		t.Fatalf("change %+v", c)
	}

	// A query (no Contact) lists without changing.
	wantStatus(t, soft.register(-1), sip.StatusOK)
	if n := len(h.reg.Contacts(1, 10)); n != 2 {
		t.Fatalf("%d contacts after query", n)
	}

	wantStatus(t, desk.register(0, "<sip:desk@127.0.0.1:5070>"), sip.StatusOK)
	if bs := h.reg.Contacts(1, 10); len(bs) != 1 || bs[0].Contact != "sip:soft@127.0.0.1:5080" {
		t.Fatalf("after unregister %+v", bs)
	}
	if c := nextChange(t, changes); c != (Change{AccountID: 1, ExtensionID: 10, Registered: true, Contacts: 1, Softphone: true}) {
		t.Fatalf("change %+v", c)
	}

	wantStatus(t, desk.register(600, "*"), sip.StatusBadRequest) // * needs Expires: 0
	res = desk.register(0, "*")
	wantStatus(t, res, sip.StatusOK)
	if h.reg.Registered(1, 10) || len(contactsOf(res)) != 0 {
		t.Fatal("still registered after Contact: *")
	}
	if c := nextChange(t, changes); c.Registered {
		t.Fatalf("change %+v", c)
	}
}

func TestMaxContacts(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxContacts = 2 })
	p := h.phone(h.ext.SIPUsername, h.secret)
	wantStatus(t, p.register(600, "<sip:a@127.0.0.1>", "<sip:b@127.0.0.1>"), sip.StatusOK)
	wantStatus(t, p.register(600, "<sip:c@127.0.0.1>"), sip.StatusForbidden)
	if n := len(h.reg.Contacts(1, 10)); n != 2 {
		t.Fatalf("%d contacts", n)
	}
}

func TestOtherAddressOfRecord(t *testing.T) {
	h := newHarness(t)
	other := h.addExt(1, 11, "101")
	p := h.phone(h.ext.SIPUsername, h.secret)
	req := p.request(sip.REGISTER, 600, "<sip:a@127.0.0.1>")
	req.To().Address.User = other.SIPUsername
	res, err := p.do(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err = p.c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.user, Password: p.pass})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, res, sip.StatusForbidden)
	if h.reg.Registered(1, 11) || h.reg.Registered(1, 10) {
		t.Fatal("registered for another address of record")
	}
}

func TestBrowserContact(t *testing.T) {
	h := newHarness(t)
	p := h.phone(h.ext.SIPUsername, h.secret)
	wantStatus(t, p.register(600, "<sip:k2j4h5@df7jal23ls0d.invalid;transport=ws>;+sip.ice"), sip.StatusOK)
	bs := h.reg.Contacts(1, 10)
	if len(bs) != 1 || !bs[0].Browser || !strings.HasPrefix(bs[0].Source, "127.0.0.1:") || bs[0].Source == "127.0.0.1:0" || bs[0].Transport != "UDP" {
		t.Fatalf("bindings %+v", bs)
	}
	if soft, browser := h.reg.Kinds(1, 10); soft || !browser {
		t.Fatalf("kinds: softphone %v, page %v; want the page only", soft, browser)
	}
}

func TestOptions(t *testing.T) {
	h := newHarness(t)
	p := h.phone("anyone", "")
	res, err := p.do(p.request(sip.OPTIONS, -1))
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, res, sip.StatusOK)
	res, err = p.do(p.request(sip.MESSAGE, -1))
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, res, sip.StatusMethodNotAllowed)
}

func TestMalformed(t *testing.T) {
	h := newHarness(t)
	for i, msg := range []string{
		"\x00\xff garbage",
		"REGISTER sip:127.0.0.1 SIP/2.0\r\n\r\n",
		"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-m1\r\nCall-ID: m1\r\nCSeq: 1 REGISTER\r\n" +
			"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nContact: <sip:a@127.0.0.1>\r\n" +
			"Authorization: Digest username=\"x\", realm=\"callfloor\", nonce=\"!!\", response=\"\r\nContent-Length: 0\r\n\r\n",
		"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-m2\r\nCall-ID: m2\r\nCSeq: 1 REGISTER\r\n" +
			"From: <sip:a@b>;tag=1\r\nContact: *\r\nExpires: banana\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
	} {
		res := h.rawUDP("127.0.0.1:0", msg, 200*time.Millisecond)
		if res != nil && res.StatusCode < 400 && res.StatusCode != sip.StatusUnauthorized {
			t.Fatalf("message %d answered %v", i, res)
		}
	}
	wantStatus(t, h.rawUDP("127.0.0.1:0", h.options("127.0.0.1:0", 9), time.Second), sip.StatusOK)
}

func TestHandlerPanicRecovered(t *testing.T) {
	h := newHarness(t)
	h.store.mu.Lock()
	h.store.panic = true
	h.store.mu.Unlock()
	p := h.phone(h.ext.SIPUsername, h.secret)
	wantStatus(t, p.register(600, "<sip:a@127.0.0.1>"), sip.StatusInternalServerError)
	h.store.mu.Lock()
	h.store.panic = false
	h.store.mu.Unlock()
	wantStatus(t, p.register(600, "<sip:a@127.0.0.1>"), sip.StatusOK)
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RequestBurst, c.RequestRate = 3, 1 })
	for i := 0; i < 3; i++ {
		wantStatus(t, h.rawUDP("127.0.0.1:0", h.options("127.0.0.1:0", i), time.Second), sip.StatusOK)
	}
	if res := h.rawUDP("127.0.0.1:0", h.options("127.0.0.1:0", 3), 200*time.Millisecond); res != nil {
		t.Fatalf("over the limit answered %v", res)
	}
	wantStatus(t, h.rawUDP("127.0.0.2:0", h.options("127.0.0.2:0", 4), time.Second), sip.StatusOK)
	h.clock.Advance(time.Second)
	wantStatus(t, h.rawUDP("127.0.0.1:0", h.options("127.0.0.1:0", 5), time.Second), sip.StatusOK)
}

func TestNoSecretsLogged(t *testing.T) {
	var logs syncbuf.Buffer
	h := newHarness(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	p := h.phone(h.ext.SIPUsername, h.secret)
	wantStatus(t, p.register(600, "<sip:a@127.0.0.1>"), sip.StatusOK)
	wantStatus(t, h.phone(h.ext.SIPUsername, "wrong-secret-xyz").register(600, "<sip:a@127.0.0.1>"), sip.StatusUnauthorized)
	h.rawUDP("127.0.0.1:0", "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-s\r\n"+
		"Authorization: Digest username=\"u\", response=\"leaked-response-abc\r\nBroken header\r\n\r\n", 200*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	out := logs.String()
	for _, secret := range []string{h.secret, "wrong-secret-xyz", "leaked-response-abc", h.ext.SIPHA1, "Authorization"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log holds %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "sip request refused at the edge") || !strings.Contains(out, "sip authentication failed") {
		t.Fatalf("expected log lines missing:\n%s", out)
	}
}

func TestMD5OnlyChallenge(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Algorithms = []string{"MD5"} })
	p := h.phone(h.ext.SIPUsername, h.secret)
	chals := p.mustChallenges(t)
	if len(chals) != 1 || chals[0].Algorithm != "MD5" {
		t.Fatalf("challenges %+v, want MD5 alone", chals)
	}
	wantStatus(t, p.register(600, "<sip:md5@127.0.0.1>"), sip.StatusOK)
}

func TestParseAlgorithms(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"md5", "MD5", true},
		{"MD5, sha-256", "MD5,SHA-256", true},
		{"sha-256,md5,md5", "SHA-256,MD5", true},
		{"sha-512", "", false},
		{"", "", false},
		{"md5,", "", false},
	} {
		got, err := ParseAlgorithms(tt.in)
		if (err == nil) != tt.ok || strings.Join(got, ",") != tt.want {
			t.Errorf("ParseAlgorithms(%q) = %v, %v", tt.in, got, err)
		}
	}
}

// TestLargeAnswerOverUDP: a phone registers contacts whose 200 OK is
// well over 1,300 bytes; the answer still comes back over UDP (RFC 3261
// 18.2.2) and lists them all.
func TestLargeAnswerOverUDP(t *testing.T) {
	h := newHarness(t)
	p := h.phone(h.ext.SIPUsername, h.secret)
	var contacts []string
	for i := range 8 {
		contacts = append(contacts, fmt.Sprintf("<sip:100@127.0.0.%d:5060;x-device=%s>", i+1, strings.Repeat("d", 150)))
	}
	// Two contacts a request keeps each REGISTER small; the last answer
	// lists every binding.
	var res *sip.Response
	for i := 0; i < len(contacts); i += 2 {
		res = p.register(300, contacts[i:i+2]...)
		wantStatus(t, res, sip.StatusOK)
	}
	if size := len(res.String()); size <= 1300 {
		t.Fatalf("the answer is %d bytes: not a large one", size)
	}
	if got := contactsOf(res); len(got) != len(contacts) {
		t.Errorf("%d contacts in the answer, want %d", len(got), len(contacts))
	}
}

// TestRegisterOnAnotherNodesAccount: a cluster node answers the REGISTER
// of an account it does not own 503 once the credentials are good (a bad
// password is still challenged), keeps no binding, and registers the
// phone once it owns the account.
func TestRegisterOnAnotherNodesAccount(t *testing.T) {
	var owned atomic.Bool
	h := newHarness(t, func(c *Config) { c.Owns = func(int64) bool { return owned.Load() } })
	p := h.phone(h.ext.SIPUsername, h.secret)
	res := p.register(600, "<sip:100@127.0.0.1:5070>")
	wantStatus(t, res, sip.StatusServiceUnavailable)
	if h.reg.Registered(h.ext.AccountID, h.ext.ID) {
		t.Fatal("registered on a node that does not own the account")
	}
	wrong := h.phone(h.ext.SIPUsername, "not the secret")
	wantStatus(t, wrong.register(600, "<sip:100@127.0.0.1:5070>"), sip.StatusUnauthorized)
	owned.Store(true)
	wantStatus(t, p.register(600, "<sip:100@127.0.0.1:5070>"), sip.StatusOK)
	if !h.reg.Registered(h.ext.AccountID, h.ext.ID) {
		t.Fatal("not registered once the node owns the account")
	}
}
