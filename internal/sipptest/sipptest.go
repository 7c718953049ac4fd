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

// FreePort returns a UDP port free on loopback now, for sipp's SIP socket
// (-p; sipp reads 0 as 5060). Give sipp no media port (-mp): left alone
// it searches from 6000 for a free audio port with a free video port two
// above, whereas a given one makes it exit when either is taken, and
// the video port is one nobody checked.
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
