// Package sipptest is what the tests that drive sipp (Debian's
// sip-tester) share: finding it, a free port for it, and its file of users.
package sipptest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Path finds sipp. When it is missing the test fails under CI (where
// scripts/setup installs it) and is skipped elsewhere.
func Path(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		msg := "sipp is not installed (Debian package sip-tester); run scripts/setup"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// FreePort returns a UDP port free on loopback now (sipp does not take 0).
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.LocalAddr().(*net.UDPAddr).Port
}

// Users writes sipp's injection file (-inf) with one user: field0 is the
// username and field1 the password.
func Users(t testing.TB, user, password string) string {
	t.Helper()
	inf := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(inf, []byte("SEQUENTIAL\n"+user+";"+password+";\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return inf
}
