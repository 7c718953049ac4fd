package relay

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
)

// Ports is a range of UDP ports for RTP, both ends included. RTP takes even
// ports, leaving the odd port above each for RTCP. The zero value lets the
// system choose any free port.
type Ports struct{ Min, Max int }

// ErrNoPort is returned by Listen when every even port of the range is
// taken.
var ErrNoPort = errors.New("relay: no free RTP port in range")

// listen binds the RTP socket and, on the port above it, the RTCP socket
// of a leg on ip: on ports the system chooses when ports is zero (an
// odd-numbered free port is not guaranteed above it, so a few pairs are
// tried), else on a free even port of ports whose odd neighbour is free
// too, trying them from a random one so that calls do not all probe the
// same ports first.
func listen(ip netip.Addr, ports Ports) (rtpConn, rtcpConn *net.UDPConn, err error) {
	pair := func(port int) (*net.UDPConn, *net.UDPConn, bool) {
		a, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err != nil {
			return nil, nil, false
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		if p%2 != 0 || p >= 65535 {
			a.Close()
			return nil, nil, false
		}
		b, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p+1))))
		if err != nil {
			a.Close()
			return nil, nil, false
		}
		return a, b, true
	}
	if ports == (Ports{}) {
		for range 64 {
			if a, b, ok := pair(0); ok {
				return a, b, nil
			}
		}
		return nil, nil, fmt.Errorf("%w: no free even/odd pair from the system", ErrNoPort)
	}
	lo, hi := (ports.Min+1)&^1, ports.Max-1 // hi: the last RTP port with its RTCP port in range
	if lo <= 0 || ports.Max > 65535 || lo > hi {
		return nil, nil, fmt.Errorf("relay: bad port range %d-%d", ports.Min, ports.Max)
	}
	n := (hi-lo)/2 + 1
	first := rand.IntN(n)
	for i := range n {
		if a, b, ok := pair(lo + 2*((first+i)%n)); ok {
			return a, b, nil
		}
	}
	return nil, nil, fmt.Errorf("%w %d-%d", ErrNoPort, ports.Min, ports.Max)
}
