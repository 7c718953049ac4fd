package callfloor

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// DefaultSIPRealm is the digest realm unless configured otherwise.
const DefaultSIPRealm = "callfloor"

// NewSIPUsername returns a platform-unique SIP username for an extension
// number: the number, a dash and eight random characters.
func NewSIPUsername(number string) string {
	return number + "-" + randomString(8, "abcdefghijkmnpqrstuvwxyz23456789")
}

// NewSIPSecret returns a random SIP secret of 20 characters.
func NewSIPSecret() string {
	return randomString(20, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789")
}

// SetSIPSecret stores the digest hashes (RFC 2617 MD5 and RFC 7616
// SHA-256 HA1) of secret for the extension's username in realm, and keeps
// the secret in SIPSecret for the one answer that shows it.
func (e *Extension) SetSIPSecret(realm, secret string) {
	e.SIPSecret = secret
	e.SIPHA1 = DigestHA1(md5hex, e.SIPUsername, realm, secret)
	e.SIPHA1SHA256 = DigestHA1(sha256hex, e.SIPUsername, realm, secret)
}

// CheckSIPSecret validates a secret chosen by an administrator.
func CheckSIPSecret(field, s string) error {
	if len(s) < 8 || len(s) > 128 {
		return FieldError(ErrInvalidField, field, "a SIP secret must be 8 to 128 characters")
	}
	if !printable(s) {
		return FieldError(ErrInvalidField, field, "a SIP secret must not contain control characters")
	}
	return nil
}

// DigestHA1 computes H(username:realm:secret) with hash h.
func DigestHA1(h func(string) string, username, realm, secret string) string {
	return h(username + ":" + realm + ":" + secret)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
