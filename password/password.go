// Package password hashes and verifies user passwords with argon2id,
// storing them in the PHC string format so that parameters can change
// without invalidating existing hashes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default follows the OWASP recommendation for argon2id (19 MiB, t=2, p=1).
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Fast is for tests only: cheap enough to create hundreds of users.
var Fast = Params{Memory: 64, Time: 1, Threads: 1}

// ErrMalformed is returned for a stored hash that cannot be parsed.
var ErrMalformed = errors.New("password: malformed hash")

const (
	saltLen = 16
	keyLen  = 32
)

// Hasher hashes with fixed parameters and verifies any argon2id hash.
type Hasher struct {
	Params Params
}

// New returns a Hasher with params.
func New(p Params) *Hasher { return &Hasher{Params: p} }

// Hash returns the PHC string of pw with a fresh random salt.
func (h *Hasher) Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := h.Params
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify reports whether pw matches the PHC string hash. It takes the same
// time whether or not the password matches.
func (h *Hasher) Verify(hash, pw string) (bool, error) {
	p, salt, key, err := Parse(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// Dummy burns the time of one verification; login calls it for unknown
// users so that a missing user cannot be told apart by timing.
func (h *Hasher) Dummy(pw string) {
	argon2.IDKey([]byte(pw), make([]byte, saltLen), h.Params.Time, h.Params.Memory, h.Params.Threads, keyLen)
}

// Parse splits a PHC argon2id string into its parameters, salt and key.
func Parse(hash string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformed
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrMalformed
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil || n != 3 {
		return p, nil, nil, ErrMalformed
	}
	if p.Memory < 8 || p.Memory > 1<<22 || p.Time < 1 || p.Time > 64 || threads < 1 || threads > 64 {
		return p, nil, nil, ErrMalformed
	}
	p.Threads = uint8(threads)
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, ErrMalformed
	}
	key, err := enc.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}
