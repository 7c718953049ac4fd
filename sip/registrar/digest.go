package registrar

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// DefaultAlgorithms are the digest algorithms offered unless
// Config.Algorithms says otherwise, in the order of the WWW-Authenticate
// headers of a challenge. MD5 comes first: many phones (and sipp) answer
// the first challenge only and know no other algorithm; RFC 8760 clients
// pick SHA-256 from the second. Some phones (libre before SHA-256
// support, so Debian's baresip 1.0) give up on any challenge list that
// holds an algorithm they do not know: offer MD5 alone for them.
var DefaultAlgorithms = []string{"MD5", "SHA-256"}

// ParseAlgorithms reads a comma-separated list of digest algorithms (md5,
// sha-256), in the order to offer them.
func ParseAlgorithms(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		a := strings.ToUpper(strings.TrimSpace(f))
		if _, ok := hashFor(a); !ok || a == "" {
			return nil, fmt.Errorf("unknown digest algorithm %q: use md5, sha-256 or both", strings.TrimSpace(f))
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// challenge returns the WWW-Authenticate headers for nonce. They are the
// same for every user, known or not, except for the nonce.
func challenge(algorithms []string, realm, nonce string, stale bool) []sip.Header {
	hs := make([]sip.Header, 0, len(algorithms))
	for _, alg := range algorithms {
		c := digest.Challenge{Realm: realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		hs = append(hs, sip.NewHeader("WWW-Authenticate", c.String()))
	}
	return hs
}

// authorization returns the digest credentials of req for realm: the
// first Authorization header that parses and names the realm.
func authorization(req *sip.Request, realm string) (*digest.Credentials, bool) {
	for _, h := range req.GetHeaders("Authorization") {
		c, err := digest.ParseCredentials(h.Value())
		if err == nil && c.Realm == realm {
			return c, true
		}
	}
	return nil, false
}

// hashFor returns the hash of a digest algorithm we accept.
func hashFor(alg string) (hash.Hash, bool) {
	switch strings.ToUpper(alg) {
	case "", "MD5":
		return md5.New(), true
	case "SHA-256":
		return sha256.New(), true
	}
	return nil, false
}

// checkResponse reports whether c's response is right for HA1 ha1 (hex,
// computed with c's algorithm) and method. Only qop=auth is accepted: it
// is the one we offer, and it brings the client nonce into the hash.
func checkResponse(c *digest.Credentials, ha1, method string) bool {
	h, ok := hashFor(c.Algorithm)
	if !ok || c.QOP != "auth" || c.Cnonce == "" || c.URI == "" || ha1 == "" {
		return false
	}
	ha2 := hexHash(h, method+":"+c.URI)
	want := hexHash(h, fmt.Sprintf("%s:%s:%08x:%s:%s:%s", ha1, c.Nonce, c.Nc, c.Cnonce, c.QOP, ha2))
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(c.Response))) == 1
}

func hexHash(h hash.Hash, s string) string {
	h.Reset()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}
