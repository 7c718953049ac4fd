package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Token prefixes tell session tokens from API tokens at a glance.
const (
	SessionPrefix  = "cfs_"
	APITokenPrefix = "cfk_"
)

// tokenBytes is the randomness of a token.
const tokenBytes = 32

// displayPrefixLen is how much of an API token (after "cfk_") is kept in
// APIToken.Prefix so people can tell their tokens apart.
const displayPrefixLen = 8

// NewToken returns a fresh token: prefix followed by 32 random bytes in
// unpadded base64url.
func NewToken(prefix string) string {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the SHA-256 hash of a token, which is all the store
// keeps of it.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// DisplayPrefix returns the part of an API token kept in APIToken.Prefix:
// the first eight characters after "cfk_".
func DisplayPrefix(token string) string {
	rest := strings.TrimPrefix(token, APITokenPrefix)
	if len(rest) > displayPrefixLen {
		rest = rest[:displayPrefixLen]
	}
	return rest
}

// wellFormed reports whether token has the prefix and the length of a token
// this package issues, so that garbage never reaches the store.
func wellFormed(token, prefix string) bool {
	if !strings.HasPrefix(token, prefix) {
		return false
	}
	rest := token[len(prefix):]
	if len(rest) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}
