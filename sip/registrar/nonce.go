package registrar

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// Nonces are stateless: base64url(issued unix nanoseconds, 8 bytes big
// endian || first 16 bytes of HMAC-SHA256(key, those 8 bytes)). The
// registrar keeps nothing per challenge; a nonce it did not issue fails
// the MAC, an old one is stale.

const (
	nonceTimeLen = 8
	nonceMACLen  = 16
	nonceLen     = nonceTimeLen + nonceMACLen
)

var (
	errNonceInvalid = errors.New("nonce: not issued by this registrar")
	errNonceStale   = errors.New("nonce: expired")
)

type nonces struct {
	key []byte
	ttl time.Duration
}

func (n *nonces) mac(ts []byte) []byte {
	m := hmac.New(sha256.New, n.key)
	m.Write(ts)
	return m.Sum(nil)[:nonceMACLen]
}

// issue returns a nonce for now.
func (n *nonces) issue(now time.Time) string {
	var b [nonceLen]byte
	binary.BigEndian.PutUint64(b[:nonceTimeLen], uint64(now.UnixNano()))
	copy(b[nonceTimeLen:], n.mac(b[:nonceTimeLen]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// check reports whether s is a nonce this registrar issued (MAC) that is
// not older than the TTL at now. A nonce from the future beyond a small
// skew is invalid.
func (n *nonces) check(s string, now time.Time) error {
	issued, err := n.decode(s)
	if err != nil {
		return err
	}
	if issued.After(now.Add(time.Second)) {
		return errNonceInvalid
	}
	if now.Sub(issued) > n.ttl {
		return errNonceStale
	}
	return nil
}

// decode checks the encoding and MAC of s and returns its issue time.
func (n *nonces) decode(s string) (time.Time, error) {
	if len(s) != base64.RawURLEncoding.EncodedLen(nonceLen) { // the decoder skips CR and LF
		return time.Time{}, errNonceInvalid
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != nonceLen {
		return time.Time{}, errNonceInvalid
	}
	if !hmac.Equal(b[nonceTimeLen:], n.mac(b[:nonceTimeLen])) {
		return time.Time{}, errNonceInvalid
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[:nonceTimeLen]))), nil
}
