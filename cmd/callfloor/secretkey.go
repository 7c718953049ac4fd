package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/callfloor/callfloor/sqlstore"
)

// secretKeyPath is where the store's secret key is kept.
func secretKeyPath(cfg Config) string {
	if cfg.SecretKeyFile != "" {
		return cfg.SecretKeyFile
	}
	return filepath.Join(cfg.Data, "secret.key")
}

// loadSecretKey reads the store's secret key from its file, creating the
// file with a new random key (readable by the owner only) when there is
// none. An error names the file, never what it holds.
func loadSecretKey(cfg Config) ([]byte, error) {
	path := secretKeyPath(cfg)
	key, err := readSecretKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	key = make([]byte, sqlstore.SecretKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	// O_EXCL: of two servers starting together, one writes the key and
	// the other reads it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readSecretKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return key, nil
}

func readSecretKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != sqlstore.SecretKeySize {
		return nil, fmt.Errorf("secret key file %s: want %d hex digits (%d bytes) on one line", path, 2*sqlstore.SecretKeySize, sqlstore.SecretKeySize)
	}
	return key, nil
}

// sipNonceKey is the key a cluster's nodes sign their SIP digest nonces
// with, derived from the secret key they share (never the secret key
// itself), so that any node accepts a nonce another node issued.
func sipNonceKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("callfloor sip digest nonces"))
	return m.Sum(nil)
}
