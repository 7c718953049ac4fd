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

// listen binds a UDP socket on ip: on a port the system chooses when ports
// is zero, else on a free even port of ports, trying them from a random
// one so that calls do not all probe the same ports first.
func listen(ip netip.Addr, ports Ports) (*net.UDPConn, error) {
	if ports == (Ports{}) {
		return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	}
	lo, hi := (ports.Min+1)&^1, ports.Max
	if lo <= 0 || hi > 65535 || lo > hi {
		return nil, fmt.Errorf("relay: bad port range %d-%d", ports.Min, ports.Max)
	}
	n := (hi-lo)/2 + 1
	first := rand.IntN(n)
	for i := range n {
		port := lo + 2*((first+i)%n)
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err == nil {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w %d-%d", ErrNoPort, ports.Min, ports.Max)
}
