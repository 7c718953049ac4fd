package b2bua

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestParseReferTo(t *testing.T) {
	for _, tt := range []struct {
		in, user, replaces string
		ok                 bool
	}{
		{"<sip:300@127.0.0.1>", "300", "", true},
		{"sip:300@pbx.example", "300", "", true},
		{`"Sales" <sip:300@127.0.0.1;transport=udp>`, "300", "", true},
		{"<sip:300@127.0.0.1?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>", "300", "abc@host", true},
		{"<sip:300@127.0.0.1", "", "", false},
		{"<>", "", "", false},
		{"<sip:@127.0.0.1>", "", "", false},
		{"<sip:300@127.0.0.1?Replaces=%zz>", "", "", false},
	} {
		u, r, err := parseReferTo(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (u.User != tt.user || r != tt.replaces)) {
			t.Errorf("parseReferTo(%q) = %q, %q, %v", tt.in, u.User, r, err)
		}
	}
}

func FuzzParseReferTo(f *testing.F) {
	for _, s := range []string{"<sip:300@127.0.0.1>", "<sip:300@h?Replaces=a%3Bto-tag%3D1>", "<", "sip:", "<sip:a@b?=&;>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, r, err := parseReferTo(s)
		if err == nil && u.User == "" && r == "" {
			t.Fatalf("%q accepted with nobody to transfer to", s)
		}
	})
}

// TestMalformedRequestsLoseNothing: garbage on the SIP port, a REFER
// whose Refer-To names nobody and a re-INVITE with a broken body are
// answered or dropped, and the call goes on.
func TestMalformedRequestsLoseNothing(t *testing.T) {
	tr := newTrio(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := net.Dial("udp", tr.h.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, junk := range []string{"\x00\x01\x02", "INVITE", "INVITE sip:200@127.0.0.1 SIP/2.0\r\nVia: nonsense\r\n\r\n",
		"SIP/2.0 200 OK\r\n\r\n", strings.Repeat("A", 1400)} {
		if _, err := conn.Write([]byte(junk)); err != nil {
			t.Fatal(err)
		}
	}
	s := tr.b.session()
	refer := sip.NewRequest(sip.REFER, s.InviteRequest.Contact().Address)
	refer.AppendHeader(sip.NewHeader("Refer-To", "<sip:@127.0.0.1"))
	refer.SetDestination(tr.h.addr())
	if res, err := s.Do(ctx, refer); err != nil || res.StatusCode != sip.StatusBadRequest {
		t.Fatalf("REFER with a bad Refer-To: %v %v", res, err)
	}
	reinvite := sip.NewRequest(sip.INVITE, tr.dlg.InviteResponse.Contact().Address)
	reinvite.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	reinvite.SetBody([]byte("v=0\r\nthis is not SDP\r\n"))
	if res, err := tr.dlg.Do(ctx, reinvite); err != nil || res.StatusCode != sip.StatusNotAcceptableHere {
		t.Fatalf("re-INVITE with a broken body: %v %v", res, err)
	}
	tr.a.hears("200")
	tr.b.hears("100")
	if n := tr.h.b.Calls(); n != 1 {
		t.Fatalf("%d calls, want the one", n)
	}
}
