package baresiptest

import (
	"fmt"
	"net"
	"testing"
)

// FreePort returns a port that is free on loopback for both UDP and TCP
// now (baresip takes no port 0). Another process may take it before it is
// used; New retries with other ports when baresip cannot bind.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort(1)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// freePort finds a port p such that UDP p and TCP p..p+span-1 are free on
// 127.0.0.1.
func freePort(span int) (int, error) {
	for range 100 {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("baresiptest: free port: %w", err)
		}
		p := u.LocalAddr().(*net.UDPAddr).Port
		ok := p+span-1 <= 65535
		var held []net.Listener
		for i := 0; ok && i < span; i++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+i))
			if err != nil {
				ok = false
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			l.Close()
		}
		u.Close()
		if ok {
			return p, nil
		}
	}
	return 0, fmt.Errorf("baresiptest: no port free for UDP and %d TCP ports", span)
}
