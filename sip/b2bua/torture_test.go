package b2bua

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestTorture sends the running SIP server (registrar and B2BUA on UDP)
// the messages of testdata/torture, one per datagram, each modelled on
// a test of RFC 4475 and named after it, and checks the answer: the
// valid ones are served (a challenge, 200, 405 for an unknown method),
// the malformed ones get 400 (never silence), an unknown version 505,
// an unknown Request-URI scheme 416 and an unknown required extension
// 420 naming it.
func TestTorture(t *testing.T) {
	h := newHarness(t)
	h.addExt(1, 20, "200")
	tests := []struct {
		file string
		want int
		why  string
	}{
		// Valid, if unusual: served as any other request.
		{"wsinv", 401, "folded lines, odd spacing and case, compact names: an INVITE, challenged"},
		{"intmeth", 405, "a method of every allowed character: not one served"},
		{"esc01", 401, "escaped characters in the Request-URI and Contact"},
		{"lwsdisp", 200, "no space between display names and <"},
		{"semiuri", 200, "a semicolon in the Request-URI's user part"},
		{"longreq", 200, "long header values"},
		{"inv2543", 401, "an RFC 2543 INVITE: no branch cookie, no tags"},
		{"unksm2", 200, "an unknown URI scheme in To"},
		// Malformed: 400.
		{"clerr", 400, "Content-Length larger than the message"},
		{"ncl", 400, "negative Content-Length"},
		{"scalar02", 400, "CSeq beyond 2^32"},
		{"quotbal", 400, "an unterminated quoted display name"},
		{"ltgtruri", 400, "the Request-URI in <>"},
		{"lwsruri", 400, "a space inside the Request-URI"},
		{"lwsstart", 400, "two spaces between request-line elements"},
		{"trws", 400, "spaces after the request line"},
		{"escruri", 400, "headers in the Request-URI"},
		{"regbadct", 400, "a Contact URI with headers outside <>"},
		{"badaspec", 400, "spaces inside <> around an addr-spec"},
		{"baddn", 400, "an unquoted display name with a comma"},
		{"mismatch01", 400, "CSeq method differs from the request's"},
		{"mismatch02", 400, "an unknown method whose CSeq names another"},
		{"insuf", 400, "no From, To nor Call-ID"},
		{"multi01", 400, "two CSeq, Call-ID, From and To headers"},
		{"mcl01", 400, "two Content-Length headers"},
		{"novers", 400, "no SIP version in the request line"},
		{"nocolon", 400, "a header line without a colon"},
		// Answered with their own codes.
		{"badvers", 505, "SIP/7.0"},
		{"unkscm", 416, "a Request-URI of an unknown scheme"},
		{"novelsc", 416, "a Request-URI of a scheme callfloor does not serve"},
		{"bext01", 420, "Require of unknown extensions"},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "torture", "*.sip"))
	if err != nil || len(files) != len(tests) {
		t.Fatalf("%d torture files, %d cases: every file needs a case (%v)", len(files), len(tests), err)
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "torture", tc.file+".sip"))
			if err != nil {
				t.Fatal(err)
			}
			conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			msg := bytes.ReplaceAll(raw, []byte("{{via}}"), []byte(conn.LocalAddr().String()))
			if _, err := conn.WriteTo(msg, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: h.port}); err != nil {
				t.Fatal(err)
			}
			res := finalAnswer(t, conn)
			if res == nil {
				t.Fatalf("%s (%s): no answer, want %d", tc.file, tc.why, tc.want)
			}
			if res.StatusCode != tc.want {
				t.Fatalf("%s (%s): %d %s, want %d", tc.file, tc.why, res.StatusCode, res.Reason, tc.want)
			}
			if tc.want == 420 {
				u := res.GetHeader("Unsupported")
				if u == nil || !strings.Contains(u.Value(), "nothingSupportsThis") || !strings.Contains(u.Value(), "nothingSupportsThisEither") {
					t.Errorf("420 Unsupported %v, want both unknown extensions", u)
				}
				if strings.Contains(u.Value(), "noProxiesSupportThis") {
					t.Error("a UAS named a Proxy-Require extension as unsupported")
				}
			}
		})
	}
}

// finalAnswer reads answers on conn until a final one, nil after 2 s.
func finalAnswer(t *testing.T, conn *net.UDPConn) *sip.Response {
	t.Helper()
	buf := make([]byte, 65535)
	p := sip.NewParser()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if err := conn.SetReadDeadline(deadline); err != nil {
			t.Fatal(err)
		}
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			return nil
		}
		m, err := p.ParseSIP(buf[:n])
		if err != nil {
			t.Fatalf("an answer that does not parse: %v\n%s", err, buf[:n])
		}
		if res, ok := m.(*sip.Response); ok && !res.IsProvisional() {
			return res
		}
	}
}
