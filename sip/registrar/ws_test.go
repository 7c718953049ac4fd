package registrar

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TestRegisterOverWebSocket: a browser registers over SIP over WebSocket
// with a *.invalid contact; the binding keeps where it came from.
func TestRegisterOverWebSocket(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.reg.ServeWS(ln)
	port := ln.Addr().(*net.TCPAddr).Port
	p := h.phone(h.ext.SIPUsername, h.secret)

	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: port})
	aor := sip.Uri{Scheme: "sip", User: h.ext.SIPUsername, Host: "callfloor.test"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", "ws1")
	req.AppendHeader(from)
	callID := sip.CallIDHeader("ws-" + strconv.FormatInt(time.Now().UnixNano(), 10))
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.REGISTER})
	req.AppendHeader(sip.NewHeader("Contact", "<sip:k3j4h5@df7jal23ls0d.invalid;transport=ws>"))
	req.AppendHeader(sip.NewHeader("Expires", "600"))
	req.SetTransport("WS")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := p.c.Do(ctx, req)
	if err != nil {
		t.Fatalf("REGISTER over WS: %v", err)
	}
	wantStatus(t, res, sip.StatusUnauthorized)
	res, err = p.c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.user, Password: p.pass})
	if err != nil {
		t.Fatalf("REGISTER over WS with credentials: %v", err)
	}
	wantStatus(t, res, sip.StatusOK)
	bs := h.reg.Contacts(1, 10)
	if len(bs) != 1 || !bs[0].Browser || bs[0].Transport == "" {
		t.Fatalf("bindings %+v", bs)
	}
	t.Logf("binding: transport %s, source %s", bs[0].Transport, bs[0].Source)
}
