package registrar

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// request builds a raw request: start line, headers and an empty body.
func request(start string, headers ...string) []byte {
	return []byte(start + "\r\n" + strings.Join(headers, "\r\n") + "\r\nContent-Length: 0\r\n\r\n")
}

var basic = []string{
	"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKedge1",
	"From: <sip:100@callfloor.invalid>;tag=1",
	"To: <sip:200@callfloor.invalid>",
	"Call-ID: edge-1@callfloor.invalid",
	"CSeq: 1 OPTIONS",
}

func with(h ...string) []string { return append(append([]string(nil), basic...), h...) }

func TestVet(t *testing.T) {
	tests := []struct {
		name    string
		start   string
		headers []string
		want    int
	}{
		{"a plain OPTIONS", "OPTIONS sip:200@callfloor.invalid SIP/2.0", basic, 0},
		{"tel URI", "OPTIONS tel:+441632960000 SIP/2.0", basic, 0},
		{"Require timer", "OPTIONS sip:200@callfloor.invalid SIP/2.0", with("Require: timer"), 0},
		{"another version", "OPTIONS sip:200@callfloor.invalid SIP/3.0", basic, 505},
		{"unknown scheme", "OPTIONS mailto:someone@callfloor.invalid SIP/2.0", basic, 416},
		{"CSeq of another method", "INFO sip:200@callfloor.invalid SIP/2.0", basic, 400},
		{"two Call-IDs", "OPTIONS sip:200@callfloor.invalid SIP/2.0", with("Call-ID: other@callfloor.invalid"), 400},
		{"no Call-ID", "OPTIONS sip:200@callfloor.invalid SIP/2.0", basic[:3], 400},
		{"unknown Require", "OPTIONS sip:200@callfloor.invalid SIP/2.0", with("Require: 100rel, gruu"), 420},
		{"Proxy-Require is for proxies", "OPTIONS sip:200@callfloor.invalid SIP/2.0", with("Proxy-Require: gruu"), 0},
		{"headers in the Request-URI", "OPTIONS sip:200@callfloor.invalid?Subject=hi SIP/2.0", basic, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := sip.NewParser().ParseSIP(request(tc.start, tc.headers...))
			if err != nil {
				t.Fatal(err)
			}
			code, _, hs := vet(m.(*sip.Request))
			if code != tc.want {
				t.Fatalf("vet: %d, want %d", code, tc.want)
			}
			if code == 420 && (len(hs) != 1 || hs[0].Value() != "100rel, gruu") {
				t.Errorf("420 headers %v, want Unsupported: 100rel, gruu", hs)
			}
		})
	}
}

func TestRawProblem(t *testing.T) {
	tests := []struct {
		header string
		bad    bool
	}{
		{"From: Alice <sip:100@callfloor.invalid>;tag=1", false},
		{"From: \"Bell, Alexander\" <sip:100@callfloor.invalid>;tag=1", false},
		{"From: Bell, Alexander <sip:100@callfloor.invalid>;tag=1", true},
		{"f: A.B-C!%*_+`'~ <sip:100@callfloor.invalid>;tag=1", false},
		{"Contact: sip:100@127.0.0.1?Route=%3Csip:x%3E", true},
		{"Contact: <sip:100@127.0.0.1?Route=%3Csip:x%3E>", false},
		{"Contact: *", false},
		{"Subject: what? unquoted, <fine> here", false},
	}
	for _, tc := range tests {
		got := rawProblem(request("OPTIONS sip:200@callfloor.invalid SIP/2.0", tc.header))
		if (got != "") != tc.bad {
			t.Errorf("%q: problem %q, want bad %v", tc.header, got, tc.bad)
		}
	}
}

// TestRFC2543Branch: a request without a branch or a From tag gets one
// branch for the request, its retransmission and its ACK, inserted after
// the first value of the top Via (folded or not); a proper request is left
// alone.
func TestRFC2543Branch(t *testing.T) {
	invite := func(via string, method string) []byte {
		return request(method+" sip:200@callfloor.invalid SIP/2.0", via,
			"From: <sip:100@callfloor.invalid>", "To: <sip:200@callfloor.invalid>",
			"Call-ID: old@callfloor.invalid", "CSeq: 7 "+method)
	}
	parse := func(b []byte) *sip.Request {
		m, err := sip.NewParser().ParseSIP(b)
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		return m.(*sip.Request)
	}
	for _, via := range []string{
		"Via: SIP/2.0/UDP 127.0.0.1:5999",
		"v: SIP/2.0/UDP 127.0.0.1:5999 , SIP/2.0/UDP 192.0.2.1:5060",
		"Via: SIP/2.0/UDP\r\n 127.0.0.1:5999;received=127.0.0.1",
	} {
		inv, ack := invite(via, "INVITE"), invite(via, "ACK")
		r := parse(inv)
		if !needsBranch(r) {
			t.Fatalf("%q: no branch needed", via)
		}
		got := parse(withBranch(inv, r))
		b1, _ := got.Via().Params.Get("branch")
		again := parse(withBranch(inv, r))
		b2, _ := again.Via().Params.Get("branch")
		ackReq := parse(ack)
		b3, _ := parse(withBranch(ack, ackReq)).Via().Params.Get("branch")
		if !strings.HasPrefix(b1, sip.RFC3261BranchMagicCookie) || b1 != b2 || b1 != b3 {
			t.Errorf("%q: branches %q, %q, ACK %q: want one RFC 3261 branch", via, b1, b2, b3)
		}
		if got.Via().Host != "127.0.0.1" || got.Via().Port != 5999 {
			t.Errorf("%q: Via became %q", via, got.Via().Value())
		}
	}
	proper := parse(request("OPTIONS sip:200@callfloor.invalid SIP/2.0", basic...))
	if needsBranch(proper) {
		t.Error("an RFC 3261 request needs no branch")
	}
}

// TestRawAnswer: the answer to an unparseable request parses, echoes the
// headers that can be echoed, tags To, and leaves out broken ones.
func TestRawAnswer(t *testing.T) {
	raw := request("OPTIONS  sip:200@callfloor.invalid SIP/2.0",
		"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKa", "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKb",
		"f: <sip:100@callfloor.invalid>;tag=9", "To: \"unbalanced <sip:200@callfloor.invalid>",
		"i: raw@callfloor.invalid", "CSeq: 99999999999999999999 OPTIONS", "Secret: not copied")
	res, err := sip.NewParser().ParseSIP(rawAnswer(raw, 400, "Bad Request (test)"))
	if err != nil {
		t.Fatal(err)
	}
	r := res.(*sip.Response)
	if r.StatusCode != 400 || len(r.GetHeaders("Via")) != 2 || r.CallID() == nil || r.CallID().Value() != "raw@callfloor.invalid" {
		t.Errorf("answer %q", r.String())
	}
	if r.To() != nil || r.CSeq() != nil || r.GetHeader("Secret") != nil {
		t.Errorf("broken or other headers copied: %q", r.String())
	}
}

// FuzzEdge: whatever arrives, the edge never panics, answers only with
// what parses, and adds a branch only to what then still parses.
func FuzzEdge(f *testing.F) {
	f.Add(request("OPTIONS sip:200@callfloor.invalid SIP/2.0", basic...))
	f.Add(request("INVITE sip:200@callfloor.invalid SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:5999",
		"From: <sip:100@callfloor.invalid>", "To: <sip:200@callfloor.invalid>", "Call-ID: a", "CSeq: 1 INVITE"))
	f.Add([]byte("INVITE <sip:x> SIP/2.0\r\nv: SIP/2.0/UDP\r\n h;branch=1,\r\nCSeq: -1 INVITE\r\n\r\n"))
	p := sip.NewParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = rawProblem(data)
		m, err := p.ParseSIP(data)
		if err != nil {
			code, reason := malformedAnswer(data, err)
			if _, perr := p.ParseSIP(rawAnswer(data, code, reason)); perr != nil {
				t.Fatalf("the answer does not parse: %v", perr)
			}
			return
		}
		if req, ok := m.(*sip.Request); ok {
			_, _, _ = vet(req)
			if needsBranch(req) {
				if _, err := p.ParseSIP(withBranch(data, req)); err != nil {
					t.Fatalf("with a branch it no longer parses: %v", err)
				}
			}
		}
	})
}

// FuzzParseUpdate: the REGISTER parser answers any Contact and Expires
// with an error code or with bindings inside the configured bounds.
func FuzzParseUpdate(f *testing.F) {
	f.Add("<sip:200@127.0.0.1:5999>;expires=300", "3600")
	f.Add("*", "0")
	f.Add("<sip:200@127.0.0.1>, <sip:200@192.0.2.1>;expires=0", "")
	f.Add("sip:200@[::1]:5060;expires=99999999999", "x")
	r := &Registrar{cfg: Config{MinExpires: 60 * time.Second, MaxExpires: time.Hour, DefaultExpires: time.Hour, MaxContacts: 10}}
	p := sip.NewParser()
	f.Fuzz(func(t *testing.T, contact, expires string) {
		hs := append([]string(nil), basic...)
		hs[4] = "CSeq: 1 REGISTER"
		hs = append(hs, "Contact: "+contact)
		if expires != "" {
			hs = append(hs, "Expires: "+expires)
		}
		m, err := p.ParseSIP(request("REGISTER sip:callfloor.invalid SIP/2.0", hs...))
		if err != nil {
			return
		}
		u, code, _ := r.parseUpdate(m.(*sip.Request))
		switch code {
		case 0:
			for _, c := range u.contacts {
				if c.expires < 0 || c.expires > time.Hour || (c.expires > 0 && c.expires < 60*time.Second) || c.host == "" {
					t.Fatalf("binding %+v outside the bounds", c)
				}
			}
		case sip.StatusBadRequest, sip.StatusIntervalToBrief:
		default:
			t.Fatalf("code %d", code)
		}
	})
}
