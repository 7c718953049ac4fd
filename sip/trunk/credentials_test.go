package trunk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func challenged(t *testing.T, code int, challenges ...string) *sip.Response {
	t.Helper()
	var hs []string
	name := "WWW-Authenticate"
	if code == sip.StatusProxyAuthRequired {
		name = "Proxy-Authenticate"
	}
	for _, c := range challenges {
		hs = append(hs, name+": "+c+"\r\n")
	}
	res := response(t, hs...)
	res.StatusCode = code
	return res
}

func invite() *sip.Request {
	return sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "441632960000", Host: "carrier.example", UriParams: sip.HeaderParams{{K: "user", V: "phone"}}})
}

func TestAuthorize(t *testing.T) {
	creds := Credentials{Username: "acct-1001", Password: "s3cret", Realm: "carrier.test"}
	const md5 = `Digest realm="carrier.test", nonce="abc", algorithm=MD5, qop="auth"`
	tests := []struct {
		name   string
		creds  Credentials
		res    *sip.Response
		header string
		err    error
	}{
		{"401", creds, challenged(t, 401, md5), "Authorization", nil},
		{"407", creds, challenged(t, 407, md5), "Proxy-Authorization", nil},
		{"any realm", Credentials{Username: "u", Password: "pw-secret"}, challenged(t, 401, md5), "Authorization", nil},
		{"SHA-256 without qop", creds, challenged(t, 401, `Digest realm="carrier.test", nonce="abc", algorithm=SHA-256`), "Authorization", nil},
		{"first answerable of several", creds, challenged(t, 401, `Digest realm="carrier.test", nonce="x", algorithm=AKAv1-MD5`, md5), "Authorization", nil},
		{"other realm", creds, challenged(t, 401, `Digest realm="evil.test", nonce="abc"`), "", ErrRealm},
		{"auth-int only", creds, challenged(t, 401, `Digest realm="carrier.test", nonce="abc", qop="auth-int"`), "", ErrNoChallenge},
		{"not digest", creds, challenged(t, 401, `Basic realm="carrier.test"`), "", ErrNoChallenge},
		{"no challenge", creds, challenged(t, 401), "", ErrNoChallenge},
		{"not a challenge", creds, challenged(t, 403, md5), "", ErrNoChallenge},
		{"no password", Credentials{Username: "u"}, challenged(t, 401, md5), "", ErrNoCredentials},
	}
	for _, tc := range tests {
		req := invite()
		err := tc.creds.Authorize(req, tc.res)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
			continue
		}
		if tc.header == "" {
			if req.GetHeader("Authorization") != nil || req.GetHeader("Proxy-Authorization") != nil {
				t.Errorf("%s: credentials sent", tc.name)
			}
			continue
		}
		h := req.GetHeader(tc.header)
		if h == nil {
			t.Fatalf("%s: no %s", tc.name, tc.header)
		}
		cred, err := digest.ParseCredentials(h.Value())
		if err != nil || cred.Username != tc.creds.Username || cred.URI != "sip:441632960000@carrier.example;user=phone" || strings.Contains(h.Value(), tc.creds.Password) {
			t.Errorf("%s: %s (%v)", tc.name, h.Value(), err)
		}
	}
	// Answering again replaces the header.
	req := invite()
	creds.Authorize(req, challenged(t, 401, md5))
	creds.Authorize(req, challenged(t, 401, md5))
	if n := len(req.GetHeaders("Authorization")); n != 1 {
		t.Errorf("%d Authorization headers", n)
	}
}

func TestCredentialsHidePassword(t *testing.T) {
	tr := callfloor.NewTrunk("c", "carrier.example")
	tr.Username, tr.AuthUsername, tr.Password, tr.Realm = "acct", "auth-acct", "hunter2-secret", "carrier.test"
	c := CredentialsOf(tr)
	if c.Username != "auth-acct" || c.Password != "hunter2-secret" || c.Realm != "carrier.test" {
		t.Fatalf("%#v", c)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "creds", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), b.String()} {
		if strings.Contains(s, "hunter2") || !strings.Contains(s, "auth-acct") {
			t.Errorf("shows %s", s)
		}
	}
}

// TestAnswerOptionsWithDialog: the B2BUA's way out through a trunk: an
// INVITE that the carrier challenges with 407 is answered by sipgo's
// dialog client with the trunk's credentials; a challenge in another
// realm is not.
func TestAnswerOptionsWithDialog(t *testing.T) {
	realm := "carrier.test"
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	invites := make(chan bool, 10)
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		h := req.GetHeader("Proxy-Authorization")
		ok := false
		if h != nil {
			cred, err := digest.ParseCredentials(h.Value())
			if err == nil {
				want, _ := digest.Digest(&digest.Challenge{Realm: realm, Nonce: "n1", QOP: []string{"auth"}},
					digest.Options{Method: "INVITE", URI: cred.URI, Username: "acct", Password: "pw", Cnonce: cred.Cnonce, Count: cred.Nc})
				ok = want != nil && want.Response == cred.Response
			}
		}
		invites <- ok
		if !ok {
			res := sip.NewResponseFromRequest(req, sip.StatusProxyAuthRequired, "Proxy Authentication Required", nil)
			res.AppendHeader(sip.NewHeader("Proxy-Authenticate", fmt.Sprintf(`Digest realm=%q, nonce="n1", qop="auth"`, realm)))
			tx.Respond(res)
			return
		}
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
		res.To().Params.Add("tag", "carrier")
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: req.Recipient.Port}})
		tx.Respond(res)
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeUDP(conn)
	port := conn.LocalAddr().(*net.UDPAddr).Port

	cua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cua.Close() })
	client, err := sipgo.NewClient(cua)
	if err != nil {
		t.Fatal(err)
	}
	dua := sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "callfloor", Host: "127.0.0.1", Port: 5099}}}
	call := func(creds Credentials) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s, err := dua.Invite(ctx, sip.Uri{Scheme: "sip", User: "441632960000", Host: "127.0.0.1", Port: port}, nil)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.WaitAnswer(ctx, creds.AnswerOptions()); err != nil {
			return err
		}
		if err := s.Ack(ctx); err != nil {
			return err
		}
		return s.Bye(ctx)
	}
	if err := call(Credentials{Username: "acct", Password: "pw", Realm: realm}); err != nil {
		t.Fatalf("call: %v", err)
	}
	if a, b := <-invites, <-invites; a || !b {
		t.Fatalf("INVITEs authorised: %v %v", a, b)
	}
	if err := call(Credentials{Username: "acct", Password: "pw", Realm: "other.test"}); !errors.Is(err, ErrRealm) {
		t.Fatalf("call to another realm: %v", err)
	}
	if <-invites || len(invites) != 0 {
		t.Fatal("credentials sent to another realm")
	}
}
