package trunk

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/callfloor/callfloor"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Errors of Authorize. Their text never holds a credential.
var (
	// ErrNoChallenge: the response is not a 401 or 407 with a digest
	// challenge callfloor can answer.
	ErrNoChallenge = errors.New("trunk: the carrier's answer has no digest challenge callfloor can answer")
	// ErrRealm: the carrier challenged in another realm than the trunk's.
	ErrRealm = errors.New("trunk: the carrier challenged in an unexpected realm")
	// ErrNoCredentials: the trunk has no password to answer with.
	ErrNoCredentials = errors.New("trunk: the trunk has no password to answer the carrier's challenge")
)

// Credentials answer a carrier's digest challenge on behalf of a trunk:
// its REGISTERs, and the outbound INVITEs the B2BUA sends through it.
// Printing or logging Credentials never shows the password.
type Credentials struct {
	// Username is the digest username (the trunk's auth username, or its
	// username).
	Username string
	Password string
	// Realm, when set, is the only realm the password is given to.
	Realm string
}

// CredentialsOf returns the credentials of a trunk.
func CredentialsOf(t *callfloor.Trunk) Credentials {
	return Credentials{Username: t.DigestUsername(), Password: t.Password, Realm: t.Realm}
}

// String shows the username and realm only.
func (c Credentials) String() string {
	return fmt.Sprintf("trunk.Credentials{Username:%q Realm:%q}", c.Username, c.Realm)
}

// GoString is String, so that %#v hides the password too.
func (c Credentials) GoString() string { return c.String() }

// LogValue makes slog show the username and realm only.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.String("realm", c.Realm))
}

// Authorize answers res, a 401 (WWW-Authenticate) or 407
// (Proxy-Authenticate) challenge, by setting the Authorization or
// Proxy-Authorization header of req, the request to send again (same
// method and Request-URI, with its CSeq already increased by the
// caller). Of several challenges the first one it can answer (MD5,
// SHA-256, SHA-512 or SHA-512-256; qop auth or none) wins.
func (c Credentials) Authorize(req *sip.Request, res *sip.Response) error {
	if c.Password == "" {
		return ErrNoCredentials
	}
	in, out := "WWW-Authenticate", "Authorization"
	switch res.StatusCode {
	case sip.StatusUnauthorized:
	case sip.StatusProxyAuthRequired:
		in, out = "Proxy-Authenticate", "Proxy-Authorization"
	default:
		return ErrNoChallenge
	}
	chal, err := c.challenge(res.GetHeaders(in))
	if err != nil {
		return err
	}
	cred, err := digest.Digest(chal, digest.Options{
		Method: req.Method.String(), URI: req.Recipient.String(),
		Username: c.Username, Password: c.Password,
	})
	if err != nil {
		return ErrNoChallenge
	}
	req.RemoveHeader(out)
	req.AppendHeader(sip.NewHeader(out, cred.String()))
	return nil
}

// challenge picks the first digest challenge of hs that c can answer.
func (c Credentials) challenge(hs []sip.Header) (*digest.Challenge, error) {
	realmSeen := false
	for _, h := range hs {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil {
			continue
		}
		chal.Algorithm = strings.ToUpper(chal.Algorithm)
		if !digest.CanDigest(chal) {
			continue
		}
		if len(chal.QOP) > 0 && !chal.SupportsQOP("auth") {
			continue // auth-int needs the body; callfloor does not offer it
		}
		if c.Realm != "" && chal.Realm != c.Realm {
			realmSeen = true
			continue
		}
		return chal, nil
	}
	if realmSeen {
		return nil, ErrRealm
	}
	return nil, ErrNoChallenge
}

// AnswerOptions are the options of sipgo's DialogClientSession.WaitAnswer
// that answer the carrier's challenge to an outbound INVITE with these
// credentials; a challenge in another realm than Realm ends the call
// attempt with ErrRealm instead.
func (c Credentials) AnswerOptions() sipgo.AnswerOptions {
	return sipgo.AnswerOptions{
		Username: c.Username,
		Password: c.Password,
		OnResponse: func(res *sip.Response) error {
			if c.Realm == "" || (res.StatusCode != sip.StatusUnauthorized && res.StatusCode != sip.StatusProxyAuthRequired) {
				return nil
			}
			name := "WWW-Authenticate"
			if res.StatusCode == sip.StatusProxyAuthRequired {
				name = "Proxy-Authenticate"
			}
			if _, err := c.challenge(res.GetHeaders(name)); errors.Is(err, ErrRealm) {
				return err
			}
			return nil
		},
	}
}
