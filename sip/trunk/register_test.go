package trunk

import (
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/emiago/sipgo/sip"
)

// ours is the contact the tests' responses are about.
var ours = sip.Uri{Scheme: "sip", User: "acct-1001", Host: "127.0.0.1", Port: 5099,
	UriParams: sip.HeaderParams{{K: TrunkParam, V: "4"}}}

func response(t testing.TB, headers ...string) *sip.Response {
	t.Helper()
	raw := "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n" +
		"Call-ID: x\r\nCSeq: 2 REGISTER\r\n" + strings.Join(headers, "") + "Content-Length: 0\r\n\r\n"
	m, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m.(*sip.Response)
}

func TestGrantedExpiry(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    time.Duration
	}{
		{"our contact's expires", []string{"Contact: <sip:other@127.0.0.1:5099>;expires=10, <sip:acct-1001@127.0.0.1:5099;cftrunk=4>;expires=90\r\n", "Expires: 30\r\n"}, 90 * time.Second},
		{"host case and separate headers", []string{"Contact: <sip:other@h>;expires=10\r\n", "Contact: <sip:acct-1001@127.0.0.1:5099>;expires=75\r\n"}, 75 * time.Second},
		{"another trunk's contact", []string{"Contact: <sip:acct-1001@127.0.0.1:5099;cftrunk=5>;expires=90\r\n", "Expires: 30\r\n"}, 30 * time.Second},
		{"Expires header", []string{"Expires: 45\r\n"}, 45 * time.Second},
		{"nothing: what was asked", nil, 600 * time.Second},
		{"garbage expires", []string{"Contact: <sip:acct-1001@127.0.0.1:5099>;expires=soon\r\n"}, 600 * time.Second},
		{"huge expires is capped", []string{"Expires: 99999999999999\r\n"}, time.Duration(callfloor.MaxTrunkExpiry) * time.Second},
		{"zero", []string{"Expires: 0\r\n"}, 0},
	}
	for _, tc := range tests {
		if got := grantedExpiry(response(t, tc.headers...), ours, 600); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestHeaderSeconds(t *testing.T) {
	for v, want := range map[string]int{"120": 120, " 7 ": 7, "600 (maintenance)": 600, "30;duration=10": 30} {
		if got, ok := headerSeconds(response(t, "Retry-After: "+v+"\r\n"), "Retry-After"); !ok || got != want {
			t.Errorf("Retry-After %q: %d %v", v, got, ok)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1e3"} {
		if _, ok := headerSeconds(response(t, "Retry-After: "+v+"\r\n"), "Retry-After"); ok {
			t.Errorf("Retry-After %q accepted", v)
		}
	}
}

func TestTrunkIDFromURI(t *testing.T) {
	for s, want := range map[string]int64{
		"sip:acct@127.0.0.1:5099;cftrunk=12": 12, "sip:+4412@h;user=phone;cftrunk=7;transport=tcp": 7,
		"sip:acct@h": 0, "sip:acct@h;cftrunk=": 0, "sip:acct@h;cftrunk=-3": 0, "sip:acct@h;cftrunk=0": 0,
		"sip:acct@h;cftrunk=99999999999999999999": 0, "sip:acct@h;cftrunk=1x": 0,
	} {
		var u sip.Uri
		if err := sip.ParseUri(s, &u); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		got, ok := TrunkIDFromURI(u)
		if got != want || ok != (want != 0) {
			t.Errorf("%s: %d %v, want %d", s, got, ok, want)
		}
	}
}

func TestRegisterRequest(t *testing.T) {
	tr := callfloor.NewTrunk("c", "sip.carrier.example:5080")
	// A password no random tag, branch or Call-ID can contain by chance
	// (a two-letter one sometimes did).
	tr.ID, tr.Username, tr.Password, tr.Domain, tr.Transport = 4, "acct-1001", "Trunk-Secret-7q!", "voice.example", callfloor.TransportTCP
	s := newSession(tr, sip.Uri{Host: "198.51.100.7", Port: 5060})
	a, b := s.request(300), s.request(0)
	if a.Recipient.String() != "sip:voice.example" || a.Destination() != "sip.carrier.example:5080" || a.Transport() != "TCP" {
		t.Errorf("request line %s to %s over %s", a.Recipient.String(), a.Destination(), a.Transport())
	}
	if a.From().Address.String() != "sip:acct-1001@voice.example" || a.To().Address.String() != "sip:acct-1001@voice.example" {
		t.Errorf("from %s to %s", a.From().Address.String(), a.To().Address.String())
	}
	if got := a.Contact().Address.String(); got != "sip:acct-1001@198.51.100.7:5060;transport=tcp;cftrunk=4" {
		t.Errorf("contact %s", got)
	}
	ta, tb := a.From().Params.GetOr("tag", ""), b.From().Params.GetOr("tag", "")
	if a.CallID().Value() != b.CallID().Value() || b.CSeq().SeqNo != a.CSeq().SeqNo+1 || ta == "" || ta != tb {
		t.Error("two REGISTERs of one trunk are not one dialog")
	}
	if a.GetHeader("Expires").Value() != "300" || b.GetHeader("Expires").Value() != "0" {
		t.Error("Expires")
	}
	if strings.Contains(a.String(), tr.Password) || strings.Contains(b.String(), tr.Password) {
		t.Error("the password is in the request")
	}
}

// FuzzGrantedExpiry: whatever Contact and Expires headers a carrier
// sends, reading the granted expiry neither panics nor goes outside
// [0, a day].
func FuzzGrantedExpiry(f *testing.F) {
	for _, s := range []string{
		"Contact: <sip:acct-1001@127.0.0.1:5099;cftrunk=4>;expires=90\r\n",
		"Contact: <sip:acct-1001@127.0.0.1:5099>;expires=90, <sip:x@y>\r\nExpires: 3\r\n",
		"Expires: 10 (comment)\r\n", "Retry-After: 5;duration=1\r\n", "Contact: *\r\n", "Min-Expires: 99999999999999999\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, headers string) {
		raw := "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK1\r\nCall-ID: x\r\nCSeq: 2 REGISTER\r\n" + headers + "Content-Length: 0\r\n\r\n"
		m, err := sip.ParseMessage([]byte(raw))
		if err != nil {
			return
		}
		res, ok := m.(*sip.Response)
		if !ok {
			return
		}
		g := grantedExpiry(res, ours, 600)
		if g < 0 || g > time.Duration(callfloor.MaxTrunkExpiry)*time.Second {
			t.Fatalf("granted %v", g)
		}
		for _, name := range []string{"Expires", "Min-Expires", "Retry-After"} {
			if n, ok := headerSeconds(res, name); ok && (n < 0 || n > callfloor.MaxTrunkExpiry) {
				t.Fatalf("%s %d", name, n)
			}
		}
		stale(res)
	})
}

// FuzzTrunkIDFromURI: any URI parameter value reads as a positive ID or
// not at all.
func FuzzTrunkIDFromURI(f *testing.F) {
	for _, s := range []string{"12", "0", "-1", "", "99999999999999999999", "1e3", "007"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		u := sip.Uri{Host: "h", UriParams: sip.HeaderParams{{K: TrunkParam, V: v}}}
		if id, ok := TrunkIDFromURI(u); ok != (id > 0) {
			t.Fatalf("%q: %d %v", v, id, ok)
		}
	})
}
