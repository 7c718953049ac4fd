package sqlstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretKeySize is the length of Options.SecretKey: an AES-256 key.
const SecretKeySize = 32

// sealedPrefix marks a secret stored sealed; a value without it was
// stored in clear before the store had a key.
const sealedPrefix = "sealed:v1:"

// secretAAD binds a sealed value to what it is, so that a sealed value
// copied into another column does not open there.
const secretAAD = "callfloor trunks.password"

// errUnsealable is a sealed value that cannot be opened: no key, another
// key, or a damaged value.
var errUnsealable = errors.New("sqlstore: a sealed secret cannot be opened with this secret key")

// secretBox seals the secrets the store must read back in clear (a
// trunk's password answers the carrier's digest challenge, so it cannot
// be hashed) with AES-256-GCM, so that the database and its backups do
// not hold them readable. A nil box seals nothing.
type secretBox struct{ aead cipher.AEAD }

func newSecretBox(key []byte) (*secretBox, error) {
	if key == nil {
		return nil, nil
	}
	if len(key) != SecretKeySize {
		return nil, fmt.Errorf("sqlstore: the secret key has %d bytes, want %d", len(key), SecretKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: secret key: %w", err)
	}
	return &secretBox{aead: aead}, nil
}

// seal returns what to store for plain: "" stays "" (no secret), and
// without a key the secret is stored as it is.
func (b *secretBox) seal(plain string) (string, error) {
	if plain == "" || b == nil {
		return plain, nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sqlstore: seal: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), []byte(secretAAD))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// open returns the secret stored as v: a value stored in clear comes
// back as it is; a sealed one is opened with the key, or is
// errUnsealable.
func (b *secretBox) open(v string) (string, error) {
	body, sealed := strings.CutPrefix(v, sealedPrefix)
	if !sealed {
		return v, nil
	}
	if b == nil {
		return "", errUnsealable
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	n := b.aead.NonceSize()
	if err != nil || len(raw) < n+b.aead.Overhead() {
		return "", errUnsealable
	}
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(secretAAD))
	if err != nil {
		return "", errUnsealable
	}
	return string(plain), nil
}

// sealed reports whether v is stored sealed.
func sealed(v string) bool { return strings.HasPrefix(v, sealedPrefix) }
