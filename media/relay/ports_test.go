package relay

import (
	"errors"
	"net"
	"testing"
)

func TestPorts(t *testing.T) {
	// A range of two even ports that are both free: another process may
	// take a probed port meanwhile, so try a few ranges.
	var r Ports
	var legs []*Leg
	for attempt := 0; attempt < 20 && len(legs) < 2; attempt++ {
		for _, l := range legs {
			l.Close()
		}
		legs = nil
		probe, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		base := probe.LocalAddr().(*net.UDPAddr).Port&^1 - 1 // odd: the range starts at base+1
		probe.Close()
		r = Ports{Min: base, Max: base + 4} // RTP on base+1 and base+3, RTCP above each
		for range 2 {
			l, err := Listen(Options{Ports: r})
			if err != nil {
				break
			}
			legs = append(legs, l)
		}
	}
	if len(legs) < 2 {
		t.Fatal("no range of two free even ports found in 20 tries")
	}
	seen := map[uint16]bool{}
	for _, l := range legs {
		defer l.Close()
		p := l.LocalAddr().Port()
		if p%2 != 0 || int(p) < r.Min || int(p)+1 > r.Max || seen[p] {
			t.Fatalf("port %d from range %v (taken: %v)", p, r, seen)
		}
		seen[p] = true
	}
	if _, err := Listen(Options{Ports: r}); !errors.Is(err, ErrNoPort) {
		t.Fatalf("third leg in a range of two: %v, want ErrNoPort", err)
	}
	for _, bad := range []Ports{{Min: 10, Max: 5}, {Min: 0, Max: 100}, {Min: 65534, Max: 70000}, {Min: 41, Max: 41}} {
		if _, err := Listen(Options{Ports: bad}); err == nil {
			t.Errorf("range %v accepted", bad)
		}
	}
}
