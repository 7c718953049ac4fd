package trunk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/emiago/sipgo/sip"
)

// TrunkParam is the Contact URI parameter that carries the trunk's ID.
const TrunkParam = "cftrunk"

// TrunkIDFromURI returns the trunk ID of a URI the carrier sent a request
// to (the registered Contact): its TrunkParam parameter.
func TrunkIDFromURI(u sip.Uri) (int64, bool) {
	if u.UriParams == nil {
		return 0, false
	}
	v, ok := u.UriParams.Get(TrunkParam)
	if !ok {
		return 0, false
	}
	return parseID(v)
}

// parseID reads a positive decimal ID.
func parseID(v string) (int64, bool) {
	if v == "" || len(v) > 18 || strings.TrimLeft(v, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseInt(v, 10, 64)
	return id, err == nil && id > 0
}

// maxAuthRounds bounds the challenges answered in one attempt: the first,
// and one more when the carrier says the nonce went stale.
const maxAuthRounds = 2

// answerError is a final answer of the carrier other than success.
type answerError struct {
	code       int
	reason     string
	retryAfter time.Duration
}

func (e *answerError) Error() string {
	return fmt.Sprintf("the carrier answered %d %s", e.code, e.reason)
}

var errRefused = errors.New("the carrier refused the credentials")

// session is the dialog-like state of one trunk's registrations: one
// Call-ID and From tag for all of them, and increasing CSeqs (RFC 3261
// 10.2.4).
type session struct {
	trunk   *callfloor.Trunk
	creds   Credentials
	contact sip.Uri
	callID  string
	fromTag string
	cseq    uint32
}

func newSession(t *callfloor.Trunk, contact sip.Uri) *session {
	c := sip.Uri{Scheme: "sip", User: t.Username, Host: contact.Host, Port: contact.Port,
		UriParams: sip.NewParams()}
	if t.Transport == callfloor.TransportTCP {
		c.UriParams.Add("transport", "tcp")
	}
	c.UriParams.Add(TrunkParam, strconv.FormatInt(t.ID, 10))
	return &session{
		trunk: t, creds: CredentialsOf(t), contact: c,
		callID:  callfloor.NewSIPSecret() + "@callfloor",
		fromTag: sip.GenerateTagN(16),
		cseq:    1,
	}
}

// request builds the next REGISTER asking for expires seconds.
func (s *session) request(expires int) *sip.Request {
	t := s.trunk
	domain := t.RegistrationDomain()
	aor := sip.Uri{Scheme: "sip", User: t.Username, Host: domain}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: domain})
	host, port := t.Address()
	req.SetDestination(net.JoinHostPort(host, strconv.Itoa(port)))
	req.SetTransport(strings.ToUpper(string(t.Transport)))
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", s.fromTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	callID := sip.CallIDHeader(s.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: s.cseq, MethodName: sip.REGISTER})
	s.cseq++
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(&sip.ContactHeader{Address: *s.contact.Clone()})
	exp := sip.ExpiresHeader(expires)
	req.AppendHeader(&exp)
	req.SetBody(nil)
	return req
}

// register sends REGISTER for expires seconds (0 withdraws it), answers
// the challenges and returns the expiry the carrier granted. A 423
// Interval Too Brief raises expires to the carrier's Min-Expires once;
// the raised value is returned too, for the next refreshes.
func (s *session) register(ctx context.Context, do func(context.Context, *sip.Request) (*sip.Response, error), expires int) (granted time.Duration, asked int, err error) {
	var prev *sip.Response
	rounds, raised := 0, false
	for {
		req := s.request(expires)
		if prev != nil {
			if err := s.creds.Authorize(req, prev); err != nil {
				return 0, expires, err
			}
		}
		res, err := do(ctx, req)
		if err != nil {
			return 0, expires, fmt.Errorf("no answer from the carrier: %w", err)
		}
		switch {
		case res.IsSuccess():
			if expires == 0 {
				return 0, 0, nil
			}
			g := grantedExpiry(res, s.contact, expires)
			if g <= 0 {
				return 0, expires, errors.New("the carrier accepted the registration with no lifetime")
			}
			return g, expires, nil
		case res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired:
			if prev != nil && !stale(res) || rounds >= maxAuthRounds {
				return 0, expires, fmt.Errorf("%w (%d %s)", errRefused, res.StatusCode, res.Reason)
			}
			rounds++
			prev = res
		case res.StatusCode == sip.StatusIntervalToBrief && !raised && expires > 0:
			min, ok := headerSeconds(res, "Min-Expires")
			if !ok || min <= expires || min > callfloor.MaxTrunkExpiry {
				return 0, expires, &answerError{res.StatusCode, res.Reason, 0}
			}
			expires, raised, prev = min, true, nil
		default:
			ra, _ := headerSeconds(res, "Retry-After")
			return 0, expires, &answerError{res.StatusCode, res.Reason, time.Duration(ra) * time.Second}
		}
	}
}

// stale reports whether a challenge says only the nonce expired.
func stale(res *sip.Response) bool {
	for _, name := range []string{"WWW-Authenticate", "Proxy-Authenticate"} {
		for _, h := range res.GetHeaders(name) {
			if strings.Contains(strings.ToLower(strings.ReplaceAll(h.Value(), " ", "")), "stale=true") {
				return true
			}
		}
	}
	return false
}

// grantedExpiry is the lifetime the carrier gave our contact: the expires
// parameter of its Contact that is ours, else the Expires header, else
// what was asked.
func grantedExpiry(res *sip.Response, ours sip.Uri, asked int) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || !sameContact(c.Address, ours) || c.Params == nil {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, ok := parseSeconds(v); ok {
				return time.Duration(n) * time.Second
			}
		}
	}
	if n, ok := headerSeconds(res, "Expires"); ok {
		return time.Duration(n) * time.Second
	}
	return time.Duration(asked) * time.Second
}

// sameContact compares the user, host and port of two contacts, and the
// trunk parameter when both carry it.
func sameContact(a, b sip.Uri) bool {
	if a.User != b.User || !strings.EqualFold(a.Host, b.Host) || a.Port != b.Port {
		return false
	}
	ia, oka := TrunkIDFromURI(a)
	ib, okb := TrunkIDFromURI(b)
	return !oka || !okb || ia == ib
}

// headerSeconds reads a header holding a number of seconds (Expires,
// Min-Expires, Retry-After, whose comment it ignores).
func headerSeconds(res *sip.Response, name string) (int, bool) {
	h := res.GetHeader(name)
	if h == nil {
		return 0, false
	}
	v := strings.TrimSpace(h.Value())
	if i := strings.IndexAny(v, " (;"); i >= 0 {
		v = v[:i]
	}
	return parseSeconds(v)
}

// parseSeconds reads a delta-seconds value, capped at a day.
func parseSeconds(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.TrimLeft(v, "0123456789") != "" {
		return 0, false
	}
	if len(v) > 9 {
		return callfloor.MaxTrunkExpiry, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	return min(n, callfloor.MaxTrunkExpiry), true
}
